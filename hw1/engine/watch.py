"""``invoke watch``: rebuild on every save, from a warm process.

The watcher imports the heavy libraries the document's modules use (numpy, sympy, torch,
matplotlib...) once, then forks a child for every rebuild.  The child forgets every module of
the project (hw1's and the document's), so an edited module is imported anew, and runs the very
build ``invoke build-pdf`` runs: the PDF it makes is byte-identical to a cold build's.  What
stays warm are the libraries and their caches (matplotlib's fonts, sympy's printers).

One line per rebuild says what changed, what was recomputed and how long it took; an error
prints its message and the watcher keeps watching.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from hw1 import paths

EXTENSIONS = (".tex", ".py", ".bib", ".sty", ".cls")
IMPORT_NAMES = {"PyLaTeX": "pylatex", "pillow": "PIL", "PyYAML": "yaml"}   # distribution -> module
WARM_EXTRA = {   # submodules worth loading with their package
    "matplotlib": ("matplotlib.pyplot", "matplotlib.backends.backend_pdf"),
    "torch": ("torch.autograd.functional", "torch.optim"),
    "scipy": ("scipy.optimize",),
    "sympy": ("sympy.printing.latex", "sympy.printing.numpy"),
}


def _relevant(change, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.endswith(EXTENSIONS)


def _warm_figures() -> int:
    """Draw every figure of the document once, from the data the cache holds, and throw the
    drawings away: matplotlib's font and text-layout caches then hold what the document's
    figures use (a third of a second per redraw).  The child forgets the modules imported here;
    only the libraries' caches stay."""
    import io
    import json

    import matplotlib.pyplot as plt

    from hw1.engine import discover, run, store

    drawn = 0
    for decl in discover.declarations():
        if decl.kind != "figure" or decl.wrong:
            continue
        try:
            fn, _ = run.load(decl)
            inputs = {name.partition(".")[2]: json.loads(store.data_path(name).read_text(encoding="utf-8"))
                      for name in decl.inputs}
            fig = run.call(fn, inputs)
            fig.savefig(io.BytesIO(), format="pdf")
            plt.close(fig)
            drawn += 1
        except Exception:   # noqa: BLE001 - a figure that cannot be drawn now is the build's to report
            plt.close("all")
    return drawn


def warm_up() -> list[str]:
    """Import the third-party libraries the document's modules use; their names."""
    from hw1.engine import deps, discover

    wanted: set[str] = set()
    for path in discover.module_files():
        wanted |= set(deps.libraries(discover.module_name(path)))
    loaded = []
    for dist in sorted(wanted):
        name = IMPORT_NAMES.get(dist, dist)
        try:
            if name == "matplotlib":
                import matplotlib

                matplotlib.use("Agg")
            __import__(name)
            for sub in WARM_EXTRA.get(name, ()):
                __import__(sub)
            loaded.append(name)
        except Exception:   # noqa: BLE001 - a library that cannot load is the build's to report
            continue
    if "matplotlib" in loaded:
        figures = _warm_figures()
        if figures:
            loaded.append(f"{figures} figure(s) drawn once")
    return loaded


def _forget_project_modules() -> None:
    """Drop hw1's and the document's modules, so that the child imports them anew."""
    tops = {"hw1", paths.DOC.relative_to(paths.ROOT).parts[0]}
    for name in list(sys.modules):
        if name.partition(".")[0] in tops:
            del sys.modules[name]


def _child(write_fd: int) -> int:
    """In the forked child: run the build, send its outcome to the parent as JSON."""
    _forget_project_modules()
    lines: list[str] = []
    outcome: dict = {"ok": False, "lines": lines}
    try:
        from hw1.engine.build import build_pdf
        from hw1.engine.latex import LatexError
        from hw1.engine.store import BuildError

        try:
            result = build_pdf(echo=lines.append)
            outcome.update(ok=True, rebuilt=result.rebuilt, compiled=result.compiled, passes=result.passes,
                           warnings=[line for line in lines if line.startswith("warning:")])
        except (BuildError, LatexError) as exc:
            outcome["error"] = str(exc)
    except BaseException as exc:   # noqa: BLE001 - the watcher must survive anything a build does
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    with os.fdopen(write_fd, "w", encoding="utf-8") as pipe:
        json.dump(outcome, pipe)
    return 0 if outcome["ok"] else 1


def rebuild(changed: Iterable[str], echo: Callable[[str], None] = print) -> dict:
    """One rebuild in a forked child; prints one line (and an error's message); the outcome."""
    start = time.perf_counter()
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:   # the child
        os.close(read_fd)
        code = 1
        try:
            code = _child(write_fd)
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    try:
        outcome = json.loads(text)
    except ValueError:
        outcome = {"ok": False, "error": "the build process ended without a word (killed?)", "lines": []}
    seconds = time.perf_counter() - start
    what = ", ".join(changed) or "start"
    stamp = time.strftime("%H:%M:%S")
    if outcome["ok"]:
        tex = (f"{outcome['passes']} TeX pass{'es' if outcome['passes'] != 1 else ''}"
               if outcome["compiled"] else "no TeX pass")
        verdict = f"{paths.rel(paths.PDF)} {'updated' if outcome['compiled'] else 'unchanged'}"
        echo(f"[{stamp}] {what}: {outcome['rebuilt']} rebuilt, {tex}; {verdict} in {seconds:.2f} s")
        for line in outcome.get("warnings", []):
            echo(f"  {line}")
    else:
        echo(f"[{stamp}] {what}: build failed in {seconds:.2f} s (the previous PDF is unchanged)")
        for line in outcome.get("error", "").splitlines():
            echo(f"  {line}")
    return outcome


def watch(echo: Callable[[str], None] = print, *, stop=None) -> None:
    """Build, then rebuild on every save under the document's folder or the hw1 package."""
    from watchfiles import watch as watch_files

    t0 = time.perf_counter()
    loaded = warm_up()
    echo(f"watch: {', '.join(loaded) or 'no library'} loaded in {time.perf_counter() - t0:.1f} s; "
         f"watching {paths.rel(paths.DOC)}/ and {paths.rel(paths.PACKAGE)}/ (Ctrl-C to stop)")
    rebuild([], echo)
    for changes in watch_files(paths.DOC, paths.PACKAGE, watch_filter=_relevant, debounce=400, step=15,
                               stop_event=stop):
        changed = sorted({paths.rel(Path(p)) for _, p in changes})
        rebuild(changed, echo)
