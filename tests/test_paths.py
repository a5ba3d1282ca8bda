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
                   "previews": "previews", "declaration_time_limit": 1800.0, "tex_time_limit": 600.0,
                   "claim_order": "none", "pdf": "main.pdf", "name": "main"}


@pytest.mark.parametrize("line", ["declaration_time_limit = 2.5  # seconds", "tex_time_limit = 7"])
def test_time_limits_are_read_fast_or_by_tomllib(tmp_path, line):
    key, _, value = line.partition(" = ")
    for text in (f'[tool.hw1]\nmain = "doc/a.tex"\n{line}\n', f"[tool.hw1]\nmain = 'doc/a.tex'\n{line}\n"):
        assert config(tmp_path, text)[key] == float(value.split()[0])


def test_a_table_the_fast_reader_does_not_know_goes_to_tomllib(tmp_path):
    got = config(tmp_path, "[tool.hw1]\nmain = 'doc/a.tex'\nbuild = \"out\"\n")
    assert got["main"] == "doc/a.tex" and got["build"] == "out"


@pytest.mark.parametrize("text, message", [
    ("[project]\n", "[tool.hw1] has no main"),
    ('[tool.hw1]\nmain = "doc/a.md"\n', "main must name a .tex file"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nfigure = "f"\n', "unknown key(s) ['figure']"),
    ('[tool.hw1]\nmain = "/abs/a.tex"\n', "must be a path inside the project"),
    ('[tool.hw1]\nmain = "a.tex"\n', "doc must be a folder inside the project"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nbuild = 3\n', "build must be a non-empty path string"),
    ('[tool.hw1]\nmain = "doc/a.tex"\nclaim_order = "random"\n', "claim_order must be one of ['none', "),
    ("[tool.hw1\n", "not valid TOML"),
    ('[tool.hw1]\nmain = "doc/a.tex"\ntex_time_limit = "60"\n', "tex_time_limit must be a positive number"),
    ('[tool.hw1]\nmain = "doc/a.tex"\ndeclaration_time_limit = 0\n', "declaration_time_limit must be"),
])
def test_bad_configuration_is_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)").replace("]", r"\]")):
        config(tmp_path, text)


# -- paths read from the build's state are confined; state that is not a file is never opened -----
@pytest.mark.parametrize("name", ["doc/part.tex", "../outside-victim.txt", "build/../doc/x.tex",
                                  "/etc/passwd", "hw1/engine/store.py", "pyproject.toml", "build",
                                  "figures/README.md", "figures/.gitignore", "", "build/\0x", 3])
def test_paths_from_state_outside_the_output_folders_are_refused(name):
    from hw1 import paths

    assert paths.output_file(name) is None


@pytest.mark.parametrize("name", ["build/generated/m-v.tex", "build/cache/data/m.e.json", "figures/m-f.pdf",
                                  "./build/x/../generated/m-v.tex"])
def test_paths_in_the_output_folders_are_accepted(name):
    from hw1 import paths

    assert paths.output_file(name) == (paths.ROOT / name).resolve()


def test_a_folder_on_the_way_that_links_outside_is_refused(tmp_path, monkeypatch):
    from hw1 import paths

    monkeypatch.setattr(paths, "ROOT", tmp_path / "proj")
    monkeypatch.setattr(paths, "BUILD", tmp_path / "proj" / "build")
    (tmp_path / "proj" / "build").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "proj" / "build" / "link").symlink_to(tmp_path / "elsewhere")
    assert paths.output_file("build/link/victim.txt") is None
    assert paths.output_file("build/real/victim.txt") == tmp_path / "proj" / "build" / "real" / "victim.txt"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    import os

    from hw1 import paths

    fifo = tmp_path / "manifest.json"
    os.mkfifo(fifo)
    with pytest.raises(paths.NotAFile, match=r"is a FIFO \(named pipe\), not a regular file.*remove it"):
        paths.read_bytes(fifo)            # would wait for a writer forever if it were opened so
    with pytest.raises(paths.NotAFile, match="is a folder"):
        paths.read_text(tmp_path)
    with pytest.raises(paths.NotAFile, match="FIFO"):
        paths.refuse_special(fifo)
    paths.refuse_special(tmp_path / "missing.aux")        # missing is fine: it is about to be written
    (tmp_path / "ok.txt").write_text("ünï")
    assert paths.read_text(tmp_path / "ok.txt") == "ünï"


SEVERAL = """[tool.hw1]
tex_time_limit = 60

[tool.hw1.documents.notes]
main = "notes/notes.tex"
pdf = "lecture-notes.pdf"

[tool.hw1.documents.paper]
main = "paper/main.tex"
build = "out/paper"
claim_order = "lex"
"""


def test_several_documents_each_with_folders_of_its_own(tmp_path):
    from hw1.paths import read_documents

    path = tmp_path / "pyproject.toml"
    path.write_text(SEVERAL, encoding="utf-8")
    docs = read_documents(path)
    assert list(docs) == ["notes", "paper"]
    assert {k: docs["notes"][k] for k in ("main", "doc", "build", "figures", "previews", "pdf")} == \
        {"main": "notes/notes.tex", "doc": "notes", "build": "build/notes", "figures": "figures/notes",
         "previews": "previews/notes", "pdf": "lecture-notes.pdf"}
    assert docs["paper"]["build"] == "out/paper" and docs["paper"]["pdf"] == "main.pdf"
    assert docs["paper"]["claim_order"] == "lex" and docs["notes"]["claim_order"] == "none"
    assert docs["notes"]["tex_time_limit"] == docs["paper"]["tex_time_limit"] == 60.0   # shared
    assert read_config(path)["name"] == "notes"                       # the first, by default
    assert read_config(path, "paper")["main"] == "paper/main.tex"


def test_an_unknown_document_is_named_with_the_known_ones(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(SEVERAL, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown document 'draft': pyproject.toml configures notes, paper"):
        read_config(path, "draft")


@pytest.mark.parametrize("extra, message", [
    ('build = "build"', "documents paper and notes share their build folder"),
    ('figures = "figures"', "documents paper and notes share their figures folder"),
    ('pdf = "out/x.pdf"', "pdf must be a file name ending in .pdf"),
])
def test_documents_that_would_touch_each_others_outputs_are_refused(tmp_path, extra, message):
    path = tmp_path / "pyproject.toml"
    path.write_text(SEVERAL.replace('claim_order = "lex"', extra).replace('build = "out/paper"\n', ""),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_config(path)
