"""Shared fixtures: throw-away copies of the project for tests that build or break it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("hw1", "doc", "tasks.py", "pyproject.toml", "figures/README.md", "figures/.gitignore")
EPOCH = "1700000000"   # a fixed SOURCE_DATE_EPOCH, as a commit would give


def copy_project(dest: Path, *, with_build_of: Path | None = None) -> Path:
    """Copy the project's hand-written sources (and optionally another copy's build output)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in SOURCES:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if with_build_of is not None:
        shutil.copytree(with_build_of / "build", dest / "build")
        for fig in (with_build_of / "figures").glob("*.pdf"):
            shutil.copy2(fig, dest / "figures" / fig.name)
    return dest


def invoke(project: Path, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run `invoke <args>` in ``project`` and capture what it prints."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=project, env=full_env,
                          capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A copy of the project, built once (slow tests start from copies of it)."""
    project = copy_project(tmp_path_factory.mktemp("built") / "hw1")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    return project


@pytest.fixture
def project_copy(built_project, tmp_path) -> Path:
    """A fresh copy of the built project that a test may break."""
    return copy_project(tmp_path / "hw1", with_build_of=built_project)
