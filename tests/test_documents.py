"""Several documents in one project ([tool.hw1.documents.<name>]): each builds with
`invoke build-pdf --doc <name>` into folders of its own, and one document's build never
touches another's outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURE_BIB, FIXTURE_DOC, IGNORE, ROOT, invoke

CONFIG = """[tool.hw1.documents.notes]
main = "notes/main.tex"
pdf = "lecture-notes.pdf"

[tool.hw1.documents.paper]
main = "paper/main.tex"
"""


def two_documents(dest: Path) -> Path:
    """A project with the fixture document as notes/ and the second fixture as paper/."""
    shutil.copytree(ROOT / "hw1", dest / "hw1", ignore=IGNORE)
    shutil.copy2(ROOT / "tasks.py", dest / "tasks.py")
    (dest / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(FIXTURE_DOC, dest / "notes", ignore=IGNORE)
    shutil.copytree(FIXTURE_DOC, dest / "paper", ignore=IGNORE)
    shutil.copytree(FIXTURE_BIB, dest / "paper", ignore=IGNORE, dirs_exist_ok=True)
    return dest


def outputs(project: Path, name: str) -> dict[str, bytes | None]:
    """Every file a document's build made (its build and figures folders), by path: its
    products by content, its state files (build/<name>/cache/, which a build rewrites) by name."""
    return {p.relative_to(project).as_posix(): None if "cache" in p.parts else p.read_bytes()
            for folder in (project / "build" / name, project / "figures" / name)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def test_an_unknown_document_is_named_with_the_known_ones(tmp_path):
    project = two_documents(tmp_path / "proj")
    out = invoke(project, "build-pdf", "--doc", "draft")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: unknown document 'draft': pyproject.toml configures notes, paper"
    assert not (project / "build").exists()


@pytest.mark.slow
def test_building_one_document_never_touches_another(tmp_path):
    project = two_documents(tmp_path / "proj")
    first = invoke(project, "build-pdf", "--doc", "notes")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "pdf: build/notes/lecture-notes.pdf (1 pages" in first.stdout
    notes = outputs(project, "notes")
    assert "figures/notes/mini-curve.pdf" in notes

    second = invoke(project, "build-pdf", "--doc", "paper")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "pdf: build/paper/main.pdf" in second.stdout and "0 undefined citations" in second.stdout
    assert (project / "figures" / "paper" / "mini-curve.pdf").is_file()
    after = outputs(project, "notes")
    assert after == notes

    third = invoke(project, "build-pdf", "--doc", "notes")
    assert third.returncode == 0, third.stdout + third.stderr
    assert "0 rebuilt" in third.stdout and "is up to date" in third.stdout and "latex:" not in third.stdout
    assert outputs(project, "notes") == after
    assert (project / "build" / "paper" / "main.pdf").is_file()

    cleaned = invoke(project, "clean", "--doc", "paper")
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert not (project / "build" / "paper").exists() and outputs(project, "notes") == after
    checked = invoke(project, "check", "--doc", "notes")
    assert checked.returncode == 0 and "mini.derivative" in checked.stdout, checked.stdout + checked.stderr
