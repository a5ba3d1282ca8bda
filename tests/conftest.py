"""Shared fixtures: throw-away copies of the project for tests that build or break it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hw1.paths import copy_sources

EPOCH = "1700000000"   # a fixed SOURCE_DATE_EPOCH, as a commit would give


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tiny problems (far below torch's parallel grain size, so
    no result changes): on a busy 2-core machine, some torch ops (binary_cross_entropy_with_logits)
    otherwise wait milliseconds per call for a second OpenMP thread."""
    from hw1.reference import single_thread

    with single_thread():
        yield


def copy_project(dest: Path, *, with_build_of: Path | None = None) -> Path:
    """Copy the project's hand-written sources (and optionally another copy's build output)."""
    copy_sources(dest)
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
