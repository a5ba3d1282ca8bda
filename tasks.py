"""Tasks for hw1 (run `invoke --list`).  Thin on purpose: the work lives in the hw1 package."""

from __future__ import annotations

import sys
from pathlib import Path

from invoke import Exit, task

sys.path.insert(0, str(Path(__file__).resolve().parent))   # this checkout's hw1, always


@task(help={"explain": "say, for each artifact and for LaTeX, whether it was rebuilt or reused and why"})
def build_pdf(c, explain=False):
    """Compute, verify, typeset and compile the homework into build/hw1.pdf."""
    from hw1.engine.build import build_pdf as build
    from hw1.engine.latex import LatexError
    from hw1.engine.store import BuildError

    try:
        build(explain=explain)
    except (BuildError, LatexError) as exc:
        raise Exit(f"build-pdf failed: {exc}\n(the previous build/hw1.pdf, if any, is unchanged)",
                   code=1) from None
