"""README's worked example ("Writing an answer") is built exactly as printed, in a copy of the
project: two files make one verified formula, its values and a figure, and nothing else."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from conftest import copy_built, edit, invoke, line_of

from hw1.paths import ROOT

pytestmark = pytest.mark.slow


def example() -> dict[str, str]:
    """{path: content} of every fenced block directly preceded by a line `path` in the section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing an answer"):]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"^`([^`\n]+)`\n```[a-z]*\n(.*?)^```$", section, re.M | re.S)
    return dict(blocks)


def shown(start: str) -> list[str]:
    """The lines of the section's unlabelled fenced block whose first line starts with ``start``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing an answer"):]
    blocks = re.findall(r"^```\n(.*?)^```$", section[: section.index("\n## ", 1)], re.M | re.S)
    (block,) = [b for b in blocks if b.startswith(start)]
    return block.splitlines()


def masked(line: str) -> str:
    """What of a build's line does not depend on the machine or on the rest of the document:
    timings, sizes, pages and how many artifacts were reused are masked."""
    line = re.sub(r"\d+(\.\d+)? s\b", "<s> s", line)
    return re.sub(r"\d+ (reused|pages|kB)", r"<n> \1", line)


def sources(project: Path) -> dict[str, str]:
    """Hashes of the project's hand-written files (what `git status` would look at)."""
    out = {}
    for path in project.rglob("*"):
        rel = path.relative_to(project).as_posix()
        if path.is_file() and not rel.startswith("build/") and "__pycache__" not in rel \
                and not (rel.startswith("figures/") and rel.endswith(".pdf")):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def pdftext(project: Path) -> str:
    return subprocess.run(["pdftotext", str(project / "build" / "hw1.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_the_readme_shows_two_files():
    assert sorted(example()) == ["doc/problem6.py", "doc/problem6.tex"]


def test_the_worked_example_builds_from_two_files(built_project, tmp_path):
    project = copy_built(built_project, tmp_path / "proj")
    # the baseline: Problem 6 empty, whatever the author has written there by now
    (project / "doc" / "problem6.tex").write_text("% Problem 6: empty for this test.\n", encoding="utf-8")
    (project / "doc" / "problem6.py").unlink(missing_ok=True)
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    before_files, before_text = sources(project), pdftext(project)
    for rel, content in example().items():
        (project / rel).write_text(content, encoding="utf-8")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    # what README shows the build print is what it prints
    # (progress lines such as 'still computing problem6.curvature (5 s)' appear only on a slow or
    # loaded machine: the README's output is that of an unhurried one)
    printed = [line for line in out.stdout.splitlines() if not line.strip().startswith("still ")]
    assert [masked(line) for line in printed] == \
        [masked(line) for line in shown("  building problem6.")], out.stdout

    after = sources(project)
    changed = {rel for rel in after if before_files.get(rel) != after[rel]}
    assert changed | (set(before_files) - set(after)) == {"doc/problem6.py", "doc/problem6.tex"}
    text = pdftext(project)
    assert text.count("✓") == before_text.count("✓") + 1                       # one more checked formula
    figures = lambda t: len(re.findall(r"^Figure \d+:", t, re.M))             # noqa: E731
    assert figures(text) == figures(before_text) + 1
    assert "drawn by problem6.curvature_plot" in text

    # a wrong formula stops the build and the check at the author's line
    module = project / "doc" / "problem6.py"
    edit(module, "q[i] ** 2 * sp.exp", "q[i] * sp.exp")
    out = invoke(project, "build-pdf")
    assert out.returncode != 0
    where = f"doc/problem6.py:{line_of(module, 'def curvature():')}"
    assert f"claim problem6.curvature does not hold ({where})" in out.stderr
    (failed,) = shown("build-pdf failed:")           # README's line, the error's digits included
    assert failed in out.stderr.splitlines(), out.stderr
    check = invoke(project, "check")
    assert check.returncode != 0
    assert any(line.startswith("problem6.curvature ") and line.endswith("FAIL")
               for line in check.stdout.splitlines())
