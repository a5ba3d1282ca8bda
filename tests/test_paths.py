"""The project's configuration, [tool.hw1] in pyproject.toml: read fast when simple, checked
always, and a clear error for anything that cannot work."""

from __future__ import annotations

import pytest

from hw1.paths import ConfigError, read_config


def config(tmp_path, text: str) -> dict:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return read_config(path)


def test_simple_table_with_defaults(tmp_path):
    got = config(tmp_path, '[project]\nname = "x"\n\n[tool.hw1]\nmain = "paper/main.tex"  # the document\n'
                           '\n[tool.other]\nmain = 3\n')
    assert got == {"main": "paper/main.tex", "doc": "paper", "figures": "figures", "build": "build",
                   "previews": "previews", "claim_order": "none"}


def test_a_table_the_fast_reader_does_not_know_goes_to_tomllib(tmp_path):
    got = config(tmp_path, "[tool.hw1]\nmain = 'doc/a.tex'\nbuild = \"out\"\n")
    assert got["main"] == "doc/a.tex" and got["build"] == "out"


@pytest.mark.parametrize("text, message", [
    ("[project]\n", "no [tool.hw1] main"),
    ('[tool.hw1]\nmain = "doc/a.md"\n', "main must name a .tex file"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nfigure = "f"\n', "unknown key(s) ['figure']"),
    ('[tool.hw1]\nmain = "/abs/a.tex"\n', "must be a path inside the project"),
    ('[tool.hw1]\nmain = "a.tex"\n', "doc must be a folder inside the project"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nbuild = 3\n', "build must be a non-empty path string"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nclaim_order = "random"\n', "claim_order must be one of ['none', "),
    ("[tool.hw1\n", "not valid TOML"),
])
def test_bad_configuration_is_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)").replace("]", r"\]")):
        config(tmp_path, text)
