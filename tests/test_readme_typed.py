"""README's "Typing a formula" is built exactly as printed, in a copy of the project: a notation
and two typed displays make four checked steps; a changed coefficient, a dropped transpose or a
flipped sign stops the build at that row's line; `check --strict` names every unmarked row it
cannot check."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import copy_built, edit, invoke, line_of

from hw1.paths import ROOT

pytestmark = pytest.mark.slow
SECTION = "## Typing a formula"


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    text = readme[readme.index(SECTION):]
    return text[: text.index("\n## ", 1)]


def example() -> dict[str, str]:
    return dict(re.findall(r"^`([^`\n]+)`\n```[a-z]*\n(.*?)^```$", section(), re.M | re.S))


def shown(start: str) -> list[str]:
    (block,) = [b for b in re.findall(r"^```\n(.*?)^```$", section(), re.M | re.S) if b.startswith(start)]
    return block.splitlines()


def masked(line: str) -> str:
    line = re.sub(r"\d+(\.\d+)? s\b", "<s> s", line)
    return re.sub(r"\d+ (reused|pages|kB)", r"<n> \1", line)


@pytest.fixture(scope="module")
def project(built_project, tmp_path_factory):
    project = copy_built(built_project, tmp_path_factory.mktemp("typed") / "proj")
    (project / "doc" / "problem7.tex").write_text("% Problem 7: empty for this test.\n", encoding="utf-8")
    (project / "doc" / "problem7.py").unlink(missing_ok=True)
    assert invoke(project, "build-pdf").returncode == 0
    for rel, content in example().items():
        (project / rel).write_text(content, encoding="utf-8")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    printed = [line for line in out.stdout.splitlines() if not line.strip().startswith("still ")]
    assert [masked(line) for line in printed] == [masked(line) for line in shown("typed math:")]
    return project


def test_the_readme_shows_two_files():
    assert sorted(example()) == ["doc/problem7.py", "doc/problem7.tex"]


def test_the_example_is_checked_and_marked(project):
    text = subprocess.run(["pdftotext", str(project / "build" / "hw1.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    part = text[text.index("Problem 7"):text.index("Problem 10")]
    assert part.count("✓") == 3                         # the equation's mark and one per row of the align
    check = invoke(project, "check")
    rows = [line for line in check.stdout.splitlines() if line.startswith("doc/problem7.tex:")]
    assert len(rows) == 4 and all(r.endswith(" ok") for r in rows)


@pytest.mark.parametrize("old, new, diagnosis", [
    ("&= (p - y)\\,\\mathbf{x}^\\top.", "&= 2(p - y)\\,\\mathbf{x}^\\top.", "factor 2"),
    ("&= (p - y)\\,\\mathbf{x}^\\top.", "&= (p - y)\\,\\mathbf{x}.", "transposed"),
    ("&= (p - y)\\,\\mathbf{x}^\\top.", "&= (y - p)\\,\\mathbf{x}^\\top.", "opposite sign"),
    ("\\bigl(1 - \\sigma(t)\\bigr).", "\\bigl(1 + \\sigma(t)\\bigr).", "tolerance 1e-10"),
])
def test_a_wrong_variant_stops_the_build_at_its_row(project, tmp_path, old, new, diagnosis):
    copy = copy_built(project, tmp_path / "proj")
    tex = copy / "doc" / "problem7.tex"
    edit(tex, old, new)
    out = invoke(copy, "build-pdf")
    assert out.returncode != 0
    where = f"build-pdf failed: doc/problem7.tex:{line_of(tex, new)}: typed formula does not hold"
    assert where in out.stderr
    assert diagnosis in out.stderr


def test_the_readme_failure_is_what_the_build_prints(project, tmp_path):
    copy = copy_built(project, tmp_path / "proj")
    edit(copy / "doc" / "problem7.tex", "&= (p - y)", "&= (y - p)")
    out = invoke(copy, "build-pdf")
    assert out.stderr.splitlines()[0] == shown("build-pdf failed:")[0]


def test_strict_names_every_unmarked_row_it_cannot_check(project, tmp_path):
    copy = copy_built(project, tmp_path / "proj")
    tex = copy / "doc" / "problem7.tex"
    with open(tex, "a", encoding="utf-8") as f:
        f.write("\\begin{align*}\n  q &= \\mathbf{w} \\\\\n  \\mathbf{w}^\\top \\mathbf{x}\n\\end{align*}\n")
    strict = invoke(copy, "check", "--strict")
    errors = [line for line in strict.stdout.splitlines() if line.startswith("error: doc/problem7.tex")]
    lines = [line_of(tex, "q &="), line_of(tex, "  \\mathbf{w}^\\top \\mathbf{x}")]
    assert [e.split(":")[2] for e in errors] == [str(n) for n in lines]
    assert "cannot be read at `q`" in errors[0] and "holds no relation" in errors[1]


def test_the_display_checked_by_references_is_built_as_shown(project, tmp_path):
    """The example of "Checked by references": its module code and display, added to Problem 7,
    build with the display marked; with (y - p) the build stops with the message shown."""
    text = section()
    (code,) = [b for b in re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S) if "references(" in b]
    (display,) = [b for b in re.findall(r"^```latex\n(.*?)^```$", text, re.M | re.S) if "\\checkedby" in b]
    (message,) = re.findall(r"``(typed formula does not hold: .*?)``", " ".join(text.split("\n")), re.S)
    copy = copy_built(project, tmp_path / "proj")
    with open(copy / "doc" / "problem7.py", "a", encoding="utf-8") as f:
        f.write("\n" + code)
    tex = copy / "doc" / "problem7.tex"
    with open(tex, "a", encoding="utf-8") as f:
        f.write(display)
    out = invoke(copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    pdf = subprocess.run(["pdftotext", str(copy / "build" / "hw1.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert pdf[pdf.index("Problem 7"):pdf.index("Problem 10")].count("✓") == 4
    edit(tex, "= (p - y)\\,\\mathbf{x}^\\top \\checkedby", "= (y - p)\\,\\mathbf{x}^\\top \\checkedby")
    out = invoke(copy, "build-pdf")
    assert out.returncode != 0
    line = line_of(tex, "= (y - p)\\,\\mathbf{x}^\\top \\checkedby")
    assert f"build-pdf failed: doc/problem7.tex:{line}: {message}" in out.stderr
