"""Tasks for hw1 (`invoke --list`).  Thin on purpose: the work lives in the hw1 package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))   # always this checkout's hw1, whatever else is installed
DOC_HELP = "which document (a [tool.hw1.documents.<name>] table); not needed when only one is configured"


def choose(doc: str) -> None:
    """Choose the document the engine works on, before it is imported (it reads the choice,
    $HW1_DOCUMENT, once: one document per run); an unknown name is said with the known ones."""
    if doc:
        os.environ["HW1_DOCUMENT"] = doc
    try:
        from hw1.engine import paths
    except ValueError as exc:           # paths.ConfigError
        raise Exit(f"error: {exc}", code=2) from None
    if doc and paths.NAME != doc:
        raise Exit(f"error: this run already works on document {paths.NAME!r}: run invoke again for "
                   f"--doc {doc}", code=2)


@task
def setup(c):
    """Install the TeX toolchain the document needs (apt-get when possible), or say how."""
    from hw1.engine.toolchain import ToolchainError, ensure

    try:
        ensure()
    except ToolchainError as exc:
        raise Exit(f"setup failed: {exc}", code=1) from None


@task(help={"explain": "say, for each artifact and for LaTeX, whether it was rebuilt or reused and why",
            "doc": DOC_HELP})
def build_pdf(c, explain=False, doc=""):
    """Compute, verify, typeset and compile the document into its PDF (build/hw1.pdf)."""
    choose(doc)
    from hw1.engine import noop

    if not explain and noop.up_to_date():   # nothing at all changed: said without loading the build
        return
    from hw1.engine.build import build_pdf as build
    from hw1.engine.latex import LatexError
    from hw1.engine.store import BuildError

    try:
        build(explain=explain)
    except (BuildError, LatexError) as exc:
        raise Exit(f"build-pdf failed: {exc}\n(the previous PDF, if any, is unchanged)", code=1) from None
    except KeyboardInterrupt:
        raise Exit("build-pdf: interrupted; nothing it started is left running "
                   "(the previous PDF, if any, is unchanged)", code=130) from None


@task(help={"strict": "also fail on hand-typed display math not marked \\unchecked and on unfinished "
                      "work (placeholders, empty proofs, answers not yet written): use before submitting",
            "answer": "only this answer: its module and its .tex file (doc/problem7.py, doc/problem7.tex "
                      "or problem7), with the experiments it reads",
            "doc": DOC_HELP})
def check(c, strict=False, answer="", doc=""):
    """Compute every declaration afresh; print the claims and checks as a table, and what fails."""
    choose(doc)
    from hw1.engine.checking import run

    try:
        ok = run(strict=strict, answer=answer or None)
    except KeyboardInterrupt:
        raise Exit("check: interrupted; nothing it started is left running", code=130) from None
    if not ok:
        raise Exit("check failed: see the rows marked FAIL, and any line starting 'error:', above",
                   code=1)


@task(help={"quick": "skip the slow tests (those that compile the PDF)",
            "k": "only run tests matching this pytest -k expression"})
def test(c, quick=False, k=""):
    """Run the test suite (pytest)."""
    args = [sys.executable, "-m", "pytest"]
    if quick:
        args += ["-m", "not slow"]
    if k:
        args += ["-k", k]
    code = subprocess.run(args, cwd=ROOT, check=False).returncode
    if code:
        raise Exit(code=code)


@task(help={"doc": DOC_HELP})
def clean(c, doc=""):
    """Remove everything the build generated (the build folder and the figures)."""
    choose(doc)
    from hw1.engine import paths

    shutil.rmtree(paths.BUILD, ignore_errors=True)
    for f in paths.FIGURES.glob("*.pdf"):
        f.unlink()
    print(f"clean: removed {paths.rel(paths.BUILD)}/ and the figures in {paths.rel(paths.FIGURES)}/")


@task(help={"pages": "how many pages (default 2)", "dpi": "resolution (default 60)", "doc": DOC_HELP})
def previews(c, pages="2", dpi="60", doc=""):   # strings: checked by hw1, not cast by invoke
    """Render the PDF's first pages to previews/page-N.png (shown in README)."""
    choose(doc)
    from hw1.engine.previews import make

    try:
        make(pages=pages, dpi=dpi)
    except (ValueError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        raise Exit(f"previews failed: {exc}", code=1) from None


@task(help={"doc": DOC_HELP})
def watch(c, doc=""):
    """Rebuild the PDF on every save under doc/ or hw1/ (from a warm process: fast)."""
    choose(doc)
    from hw1.engine.watch import watch as watch_and_build

    try:
        watch_and_build()
    except KeyboardInterrupt:
        print("watch: stopped")
