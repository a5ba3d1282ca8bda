"""TeX reads nothing outside the project and the TeX installation (kpathsea's paranoid mode):
a file named by an absolute path or through '..' is refused, with a message naming it at the
line of the document that names it; files of the project are tracked whatever the form of
their relative path.  On the fixture document; slow."""

from __future__ import annotations

import hashlib

import pytest
from conftest import edit, invoke

pytestmark = pytest.mark.slow


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _with_listings(project) -> None:
    edit(project / "doc" / "main.tex", "\\usepackage{verified}",
         "\\usepackage{verified}\n\\usepackage{listings}")


@pytest.mark.parametrize("line, name", [
    ("\\input{/etc/hostname}", "/etc/hostname"),
    ("\\lstinputlisting{../../../../etc/passwd}", "../../../../etc/passwd"),
    ("\\lstinputlisting{./doc/../doc/part.tex}", "./doc/../doc/part.tex"),
])
def test_a_file_outside_the_project_or_named_through_dotdot_is_refused(fixture_copy, line, name):
    _with_listings(fixture_copy)
    part = fixture_copy / "doc" / "part.tex"
    part.write_text(part.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    lineno = len(part.read_text(encoding="utf-8").splitlines())
    before = sha(fixture_copy / "build" / "main.pdf")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0, out.stdout
    assert f"doc/part.tex:{lineno}: TeX may not read {name}: a build reads and writes only the project's" \
        in out.stderr, out.stderr
    assert f"  {lineno} | {line}" in out.stderr
    assert "root:" not in out.stderr and sha(fixture_copy / "build" / "main.pdf") == before


def test_a_project_file_listed_by_a_dotted_relative_path_is_tracked(fixture_copy):
    _with_listings(fixture_copy)
    data = fixture_copy / "doc" / "data.txt"
    data.write_text("first\n", encoding="utf-8")
    edit(fixture_copy / "doc" / "part.tex", "The slope", "\\lstinputlisting{./doc/data.txt}\nThe slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    data.write_text("second\n", encoding="utf-8")
    again = invoke(fixture_copy, "build-pdf")
    assert again.returncode == 0 and "latex: compiling doc/main.tex" in again.stdout, again.stdout
