"""Build benchmarks (issue: build engine).  Prints medians and ratios; always exits 0.

    python benchmarks/bench_build.py [--repeat 5] [--noop-repeat 15] [--clean-repeat 3]

Runs in a throw-away copy of the project:
  1. no-op `invoke build-pdf`  vs  a bare latexmk no-op on the same document;
  2. a prose edit in doc/ then `invoke build-pdf`  vs  the same edit then bare latexmk;
     2b. a prose edit in the main file's body (doc/hw1.tex)  vs  one in doc/problem3.tex;
  3. a clean `invoke build-pdf` (after `invoke clean`)  vs  a clean bare latexmk of the
     already-generated tree (its output folder removed, fragments and figures kept).
Targets on a 2-core machine: (1) <= 1.8x, (2) <= 1.0x, (2b) <= 1.2x, (3) <= 2.9x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hw1.paths import copy_sources  # noqa: E402

EPOCH = "1700000000"


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return seconds


def bare_latexmk(project: Path) -> tuple[list[str], dict]:
    """latexmk on the same document, as an author without hw1 would run it (with the same
    pdflatex options and search path; its own output folder, so the two never share files)."""
    from hw1 import paths
    from hw1.engine import latex

    pdflatex = ("pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error -file-line-error "
                "-recorder %O %S")
    cmd = ["latexmk", "-norc", "-pdf", f"-pdflatex={pdflatex}", "-outdir=build/bare",
           paths.rel(paths.MAIN_TEX)]
    return cmd, latex.environment(EPOCH)


def report(name: str, ours: list[float], bare: list[float], target: float) -> None:
    a, b = statistics.median(ours), statistics.median(bare)
    ratio = a / b
    verdict = "PASS" if ratio <= target else "MISS"
    print(f"{name:<34} hw1 {a:7.3f} s   bare latexmk {b:7.3f} s   ratio {ratio:5.2f}  "
          f"(target <= {target:g}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clean-repeat", type=int, default=3)
    parser.add_argument("--noop-repeat", type=int, default=15)
    args = parser.parse_args()
    # Python's default is to cache bytecode in __pycache__; some environments (this sandbox, CI
    # images) turn it off, which makes every run compile hw1's modules again
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    invoke = [sys.executable, "-m", "invoke", "build-pdf"]
    print(f"machine: {os.cpu_count()} cores; medians of {args.repeat} runs ({args.noop_repeat} for no-op "
          f"builds, {args.clean_repeat} for clean builds); Python bytecode caching on (its default)")
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_sources(Path(tmp) / "hw1")
        timed(invoke, project, env)                                  # first build, warms caches
        cmd, latex_env = bare_latexmk(project)
        timed(cmd, project, latex_env)

        # 1. no-op: the two alternate, so that a machine whose speed drifts (a shared one) moves
        #    both alike; more runs, as each is short
        ours, bare = [], []
        for _ in range(args.noop_repeat):
            ours.append(timed(invoke, project, env))
            bare.append(timed(cmd, project, latex_env))
        report("1. no-op build", ours, bare, 1.8)

        # 2. prose edit: a new word in doc/problem3.tex before every run, so that both hw1
        #    and latexmk see a changed input each time
        prose = project / "doc" / "problem3.tex"
        original = prose.read_text(encoding="utf-8")
        anchor = "Every gradient that hw1"
        assert anchor in original
        ours, bare = [], []
        for k in range(args.repeat):
            prose.write_text(original.replace(anchor, f"Every (edit {2 * k}) gradient that hw1"),
                             encoding="utf-8")
            ours.append(timed(invoke, project, env))
            prose.write_text(original.replace(anchor, f"Every (edit {2 * k + 1}) gradient that hw1"),
                             encoding="utf-8")
            bare.append(timed(cmd, project, latex_env))
        prose.write_text(original, encoding="utf-8")
        timed(invoke, project, env)
        report("2. prose edit", ours, bare, 1.0)

        # 2b. the same edit in the main file's body costs what it costs in an \input file: the
        #     precompiled preamble's key is the preamble's text, not the main file's
        main = project / "doc" / "hw1.tex"
        main_text, main_anchor = main.read_text(encoding="utf-8"), "Consider the two-layer network"
        assert main_anchor in main_text
        in_main, in_input = [], []
        for k in range(args.repeat):
            main.write_text(main_text.replace(main_anchor, f"Consider (edit {k}) the two-layer network"),
                            encoding="utf-8")
            in_main.append(timed(invoke, project, env))
            prose.write_text(original.replace(anchor, f"Every (edit {k}) gradient that hw1"),
                             encoding="utf-8")
            in_input.append(timed(invoke, project, env))
        main.write_text(main_text, encoding="utf-8")
        prose.write_text(original, encoding="utf-8")
        timed(invoke, project, env)
        a, b = statistics.median(in_main), statistics.median(in_input)
        print(f"{'2b. prose edit in doc/hw1.tex':<34} hw1 {a:7.3f} s   same in doc/problem3.tex {b:7.3f} s   "
              f"ratio {a / b:5.2f}  (target <= 1.2: {'PASS' if a / b <= 1.2 else 'MISS'})")

        # 3. clean builds
        ours, bare = [], []
        for _ in range(args.clean_repeat):
            timed([sys.executable, "-m", "invoke", "clean"], project, env)
            ours.append(timed(invoke, project, env))
            shutil.rmtree(project / "build" / "bare", ignore_errors=True)
            bare.append(timed(cmd, project, latex_env))
        report("3. clean build", ours, bare, 2.9)
        print("(clean hw1 builds recompute every artifact; Python's and numba's bytecode caches "
              "under hw1/__pycache__ are kept, as they would be on a developer's machine)")


if __name__ == "__main__":
    main()
