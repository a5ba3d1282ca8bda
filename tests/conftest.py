"""Shared fixtures: throw-away projects for tests that build or break them.

Engine tests use a small fixture document (tests/fixture_doc: one claim, one value, one
figure), so they hold whatever the author writes in doc/; a few tests build the real
document, and check only what holds for any document."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hw1.paths import ROOT, copy_sources

EPOCH = "1700000000"   # a fixed SOURCE_DATE_EPOCH, as a commit would give
FIXTURE_DOC = Path(__file__).resolve().parent / "fixture_doc"
# A second fixture document, laid over the first (it shares its module): another preamble, and a
# bibliography.  Engine tests that hold for any document run on both.
FIXTURE_BIB = Path(__file__).resolve().parent / "fixture_bib"
FIXTURES = {"fixture_doc": (FIXTURE_DOC,), "fixture_bib": (FIXTURE_DOC, FIXTURE_BIB)}
IGNORE = shutil.ignore_patterns("__pycache__")


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module's tiny problems (far below torch's parallel grain size, so
    no result changes): on a busy 2-core machine, some torch ops (binary_cross_entropy_with_logits)
    otherwise wait milliseconds per call for a second OpenMP thread."""
    from hw1.reference import single_thread

    with single_thread():
        yield


def planted(seed: int, n: int = 30, d: int = 5):
    """Separable data in d dimensions: labels of a random hyperplane, pushed 0.3 off it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    X = rng.normal(size=(n, d))
    y = np.where(X @ u >= 0, 1.0, -1.0)
    return X + 0.3 * y[:, None] * u, y


def make_fixture(dest: Path, fixture: str = "fixture_doc") -> Path:
    """A project with this checkout's hw1 package and a fixture document (``FIXTURES``) as its doc/."""
    shutil.copytree(ROOT / "hw1", dest / "hw1", ignore=IGNORE)
    shutil.copy2(ROOT / "tasks.py", dest / "tasks.py")
    (dest / "pyproject.toml").write_text('[tool.hw1]\nmain = "doc/main.tex"\n', encoding="utf-8")
    for layer in FIXTURES[fixture]:
        shutil.copytree(layer, dest / "doc", ignore=IGNORE, dirs_exist_ok=True)
    return dest


def copy_built(source: Path, dest: Path) -> Path:
    """A copy of a built project, its build output included."""
    shutil.copytree(source, dest, ignore=IGNORE)
    return dest


def invoke(project: Path, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run `invoke <args>` in ``project`` and capture what it prints."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=project, env=full_env,
                          capture_output=True, text=True, check=False, **kwargs)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of ``path`` that contains ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory) -> Path:
    """The fixture project, built once (tests start from copies of it)."""
    project = make_fixture(tmp_path_factory.mktemp("fixture") / "proj")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    return project


@pytest.fixture(scope="session")
def built_bib_fixture(tmp_path_factory) -> Path:
    """The second fixture project (another preamble, a bibliography), built once."""
    project = make_fixture(tmp_path_factory.mktemp("fixture_bib") / "proj", "fixture_bib")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    return project


@pytest.fixture(params=["fixture_doc", "fixture_bib"])
def any_built_fixture(request) -> Path:
    """Each fixture project, built once: for engine tests that hold for any document."""
    return request.getfixturevalue("built_fixture" if request.param == "fixture_doc" else "built_bib_fixture")


@pytest.fixture
def any_fixture_copy(any_built_fixture, tmp_path) -> Path:
    """A fresh copy of each built fixture project, for a test that may break it."""
    return copy_built(any_built_fixture, tmp_path / "proj")


@pytest.fixture
def fixture_copy(built_fixture, tmp_path) -> Path:
    """A fresh copy of the built fixture project that a test may break."""
    return copy_built(built_fixture, tmp_path / "proj")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A copy of this project with its real document, built once."""
    project = copy_sources(tmp_path_factory.mktemp("built") / "hw1")
    out = invoke(project, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    return project


def session_processes(sid: int) -> list[str]:
    """Processes still alive (not zombies) in the session ``sid``: those the build started.
    Read from /proc, so that the test needs no ps."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()   # after "pid (comm) "
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(f"{stat.parent.name} {text[text.index('(') + 1:text.rindex(')')]}")
    return found
