"""``invoke watch``: rebuild on every save, from a warm process.

The watcher imports the heavy libraries the document's modules use (numpy, sympy, torch,
matplotlib...) once, then forks a child for every rebuild, which runs the very build
``invoke build-pdf`` runs: the PDF it makes is byte-identical to a cold build's.  The child
forgets the document's modules, so they are imported anew.  hw1's own modules are kept as the
watcher imported them, fresh, after its warm-up (no build ever runs in the watcher itself),
unless one of their files changed since: then the child forgets them too, and the watcher
imports the new ones once that rebuild is done.  What stays warm are the libraries and their
caches (matplotlib's fonts, sympy's printers) and hw1's unchanged modules.

Each rebuild's child is forked ahead of time, as soon as the previous rebuild ends.  It starts
its first pdflatex pass at once (``ahead.PassAhead``): that pass loads the precompiled preamble, then
waits for the child's word before reading anything of the document.  A saved edit then costs
the build and the rest of the pass, not the start of Python's or TeX's processes.  When the
rebuild just done was for one edited .tex file, the pass goes further: it typesets the document
up to that file, which the author will likely edit again, and waits there; the build lets it
go on only if nothing it read has changed since.  When only figures are to be drawn, the pass
goes at once and waits at each of them until it is drawn.

One line per rebuild says what changed, what was recomputed and how long it took; an error
prints its message and the watcher keeps watching.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from hw1.engine import paths

EXTENSIONS = (".tex", ".py", ".bib", ".sty", ".cls")
WARM_EXTRA = {   # submodules worth loading with their package
    "matplotlib": ("matplotlib.pyplot", "matplotlib.backends.backend_pdf"),
    "torch": ("torch.autograd.functional", "torch.optim"),
    "scipy": ("scipy.optimize",),
    "sympy": ("sympy.printing.latex", "sympy.printing.numpy"),
}


def _relevant(change, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.endswith(EXTENSIONS)


WARM_LIMIT = 10.0    # seconds a figure may take to draw in the warm-up (the build has its own limit)


class _TooLong(BaseException):
    """A figure took longer than WARM_LIMIT to draw in the warm-up (not an Exception: the
    author's code does not catch it by accident)."""


def _too_long(signum, frame) -> None:
    raise _TooLong


def _warm_figures() -> int:
    """Draw every figure of the document once, from the data the cache holds, and throw the
    drawings away: matplotlib's font and text-layout caches then hold what the document's
    figures use (a third of a second per redraw).  The child forgets the modules imported here;
    only the libraries' caches stay, not the settings a figure function may change
    (``plt.rcParams``, numpy's print options, environment variables, the working directory):
    they are put back as they were.  A figure that fails, exits (``sys.exit``) or takes longer
    than WARM_LIMIT is skipped: the build computes it in a worker, and reports it."""
    import io
    import threading

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    from hw1.engine import discover, run, store
    from hw1.engine.workers import put_back

    timed = threading.current_thread() is threading.main_thread()
    drawn, options = 0, np.get_printoptions()
    try:
        for decl in discover.declarations():
            if decl.kind != "figure" or decl.wrong:
                continue
            env, cwd = dict(os.environ), os.getcwd()
            previous = signal.signal(signal.SIGALRM, _too_long) if timed else None
            if timed:
                signal.setitimer(signal.ITIMER_REAL, WARM_LIMIT)
            with matplotlib.rc_context():
                try:
                    fn, _ = run.load(decl)
                    fig = run.call(fn, store.cached_inputs(decl))
                    fig.savefig(io.BytesIO(), format="pdf")
                    drawn += 1
                except (Exception, SystemExit, _TooLong):   # noqa: BLE001 - the build's to report
                    pass
                finally:
                    if timed:
                        signal.setitimer(signal.ITIMER_REAL, 0)
                        signal.signal(signal.SIGALRM, previous)
                    plt.close("all")
                    put_back(env, cwd)
    finally:
        np.set_printoptions(**options)
    return drawn


def warm_up() -> list[str]:
    """Import the third-party libraries the document's modules use; their names."""
    from hw1.engine import deps, discover

    wanted: set[str] = set()
    for path in discover.module_files():
        wanted |= set(deps.libraries(discover.module_name(path)))
    import_names = {dist: module for module, dist in deps.DISTRIBUTIONS.items()}
    loaded = []
    for dist in sorted(wanted):
        name = import_names.get(dist, dist)
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
    if any(path.with_suffix(".py").is_file() for path in paths.DOC.glob("*.tex")):
        # typed display math beside a module: an edited display is read with lark (hw1.engine.typed)
        with contextlib.suppress(Exception):
            __import__("lark")
            loaded.append("lark")
    if "matplotlib" in loaded:
        figures = _warm_figures()
        if figures:
            loaded.append(f"{figures} figure(s) drawn once")
    # hw1's modules as the warm-up left them may hold what the document's modules put there
    # (names registered by hw1.symbolic, say): imported again, fresh, for the children
    load_library([name for name in sys.modules if name.partition(".")[0] == "hw1"])
    return loaded


def _forget_project_modules(*, library: bool = True) -> None:
    """Drop the document's modules, and hw1's unless ``library`` is false, so that they are
    imported anew."""
    tops = {paths.DOC.relative_to(paths.ROOT).parts[0], *(["hw1"] if library else [])}
    for name in list(sys.modules):
        if name.partition(".")[0] in tops:
            del sys.modules[name]


# hw1's modules as the watcher holds them: module name -> hash of its file when imported
_LOADED: dict[str, str] = {}
BUILD_MODULES = ("hw1.engine.build", "hw1.engine.noop", "hw1.engine.run", "hw1.engine.texformat")


def _file_hash(name: str) -> str:
    import hashlib

    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest() if file else ""
    except OSError:
        return "missing"


def load_library(names: Iterable[str] = ()) -> None:
    """Import hw1's build modules, and ``names`` (hw1 modules the document's use), afresh:
    what every rebuild's child starts from.  A module that fails to import is left to the
    build to report."""
    names = [*BUILD_MODULES, *names]       # before forgetting: ``names`` may be read from them
    _forget_project_modules()
    _LOADED.clear()
    for name in names:
        try:
            __import__(name)
        except Exception:   # noqa: BLE001 - the build reports it, with its file and line
            continue
    for name in list(sys.modules):
        if name.partition(".")[0] == "hw1":
            _LOADED[name] = _file_hash(name)


def library_changed() -> bool:
    """Whether a file of hw1's loaded modules changed since the watcher imported it."""
    return any(_file_hash(name) != known for name, known in _LOADED.items())


def _spare(pause: str | None = None):
    """pdflatex started ahead of the next pass (``ahead.PassAhead``), if that pass can use the
    precompiled preamble; else None.  It typesets ahead up to ``pause``, the file the author
    edited last, if there is one.  Reads state files only: nothing the build caches."""
    try:
        from hw1.engine import latex, texformat
        from hw1.engine.ahead import PassAhead
        from hw1.engine.store import Manifest

        fmt, record = texformat.fmt_path(), Manifest().tex.get("format") or {}
        if (os.environ.get("HW1_FORMAT", "1") == "0" or not record.get("trusted")
                or not texformat.intact(record)):
            return None
        return PassAhead(latex.environment(latex.source_date_epoch()), fmt, pause)
    except Exception:   # noqa: BLE001 - without it, the pass simply starts from scratch
        return None


class _Child(NamedTuple):
    pid: int
    orders: int      # the watcher writes the rebuild's orders here, and closes it
    outcome: int     # the child writes its outcome here


def _fork_child(pause: str | None = None) -> None:
    """Fork the next rebuild's process, ahead of time, into ``_NEXT``: it starts its pdflatex
    pass (which loads the preamble), then waits for its orders.  Ctrl-C is held back while it
    forks: it then reaches the watcher only once the child is known (Python drops an exception
    raised in its fork handlers), and never the child, which is stopped by the watcher; SIGTERM
    likewise."""
    orders_r, orders_w = os.pipe()
    outcome_r, outcome_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
        if pid == 0:   # the child
            code = 1
            try:
                for sig in STOP_SIGNALS:     # the watcher stops it (its pdflatex inherits this)
                    signal.signal(sig, signal.SIG_IGN)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                os.close(orders_w)
                os.close(outcome_r)
                code = _child(orders_r, outcome_w, parent, pause)
            finally:
                os._exit(code)
        os.close(orders_r)
        os.close(outcome_w)
        _NEXT.append(_Child(pid, orders_w, outcome_r))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _child(orders_fd: int, outcome_fd: int, parent: int, pause: str | None = None) -> int:
    """In the forked child: wait for the orders, run the build, send its outcome as JSON."""
    from hw1.engine.workers import die_with_parent

    die_with_parent(parent)
    spare = _spare(pause)
    with os.fdopen(orders_fd, "rb") as pipe:
        orders = pipe.read()
    if not orders:                     # the watcher stops
        if spare is not None:
            spare.stop()
        return 0
    signal.signal(signal.SIGINT, signal.default_int_handler)    # Ctrl-C now stops the build
    signal.signal(signal.SIGTERM, _interrupt)                    # and so does a SIGTERM
    orders = json.loads(orders)
    library = orders["library_changed"]
    if spare is not None and (library or not spare.still_reads(orders["changed"])):
        spare.stop()
        spare = None
    _forget_project_modules(library=library)
    lines: list[str] = []
    outcome: dict = {"ok": False, "lines": lines}
    try:
        from hw1.engine import latex
        from hw1.engine.build import build_pdf
        from hw1.engine.noop import say
        from hw1.engine.store import BuildError

        try:
            result = build_pdf(echo=lines.append, progress=say, ahead=spare)   # progress: as it happens
            outcome.update(ok=True, rebuilt=result.rebuilt, compiled=result.compiled, passes=result.passes,
                           ahead="" if spare is None or not spare.used else
                           f"typeset ahead up to {spare.pause}" if spare.pause else "the first started ahead",
                           warnings=list(result.warnings))
        except (BuildError, latex.LatexError) as exc:
            outcome["error"] = str(exc)
        finally:
            if spare is not None and not spare.used:   # not needed: no TeX pass, or another one
                spare.stop()
    except BaseException as exc:   # noqa: BLE001 - the watcher must survive anything a build does
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    with os.fdopen(outcome_fd, "w", encoding="utf-8") as pipe:
        json.dump(outcome, pipe)
    return 0 if outcome["ok"] else 1


_NEXT: list[_Child] = []     # the child forked for the next rebuild


def rebuild(changed: Iterable[str], echo: Callable[[str], None] = print) -> dict:
    """One rebuild in a forked child; prints one line (and an error's message); the outcome."""
    start = time.perf_counter()
    changed = list(changed)
    library = library_changed() if _LOADED else True
    orders = json.dumps({"library_changed": library, "changed": changed}).encode()
    for _ in range(2):    # the child forked ahead may have died meanwhile (killed): fork another
        if not _NEXT:
            _fork_child()
        child = _NEXT.pop()
        try:
            os.write(child.orders, orders)
            break
        except BrokenPipeError:
            os.close(child.orders)
            os.close(child.outcome)
            os.waitpid(child.pid, 0)
    os.close(child.orders)
    with os.fdopen(child.outcome, encoding="utf-8") as pipe:
        text = pipe.read()
    os.waitpid(child.pid, 0)
    try:
        outcome = json.loads(text)
    except ValueError:
        outcome = {"ok": False, "error": "the build process ended without a word (killed?)", "lines": []}
    seconds = time.perf_counter() - start
    what = ", ".join(changed) or "start"
    stamp = time.strftime("%H:%M:%S")
    if outcome["ok"]:
        tex = (f"{outcome['passes']} TeX pass{'es' if outcome['passes'] != 1 else ''}"
               + (f" ({outcome['ahead']})" if outcome.get("ahead") else "")
               if outcome["compiled"] else "no TeX pass")
        verdict = f"{paths.rel(paths.PDF)} {'updated' if outcome['compiled'] else 'unchanged'}"
        echo(f"[{stamp}] {what}: {outcome['rebuilt']} rebuilt, {tex}; {verdict} in {seconds:.2f} s")
        for line in outcome.get("warnings", []):
            echo(f"  {line}")
    else:
        echo(f"[{stamp}] {what}: build failed in {seconds:.2f} s (the previous PDF is unchanged)")
        for line in outcome.get("error", "").splitlines():
            echo(f"  {line}")
    if library and _LOADED:     # the next child starts from hw1's modules as they are now
        load_library(list(_LOADED))
    # an author who just edited one .tex file will likely edit it again: the next pass typesets
    # the document ahead up to that file, and waits there
    one_tex = len(changed) == 1 and changed[0].endswith(".tex") and outcome["ok"] and outcome["compiled"]
    _fork_child(changed[0] if one_tex else None)
    return outcome


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _interrupt(signum, frame) -> None:
    """SIGTERM, handled as Ctrl-C is: the watcher stops its child and says it stopped."""
    raise KeyboardInterrupt


def _stop_next() -> None:
    while _NEXT:
        child = _NEXT.pop()
        os.close(child.orders)          # no orders: it stops its pdflatex and ends
        os.close(child.outcome)
        os.waitpid(child.pid, 0)


def watch(echo: Callable[[str], None] = print, *, stop=None) -> None:
    """Build, then rebuild on every save under the document's folder or the hw1 package."""
    import threading

    from watchfiles import watch as watch_files

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    t0 = time.perf_counter()
    started = False
    try:
        # watching starts with the first (empty) round, before the warm-up and the first build,
        # so that what is saved meanwhile is rebuilt right after them; then a round every 0.2 s
        for changes in watch_files(paths.DOC, paths.PACKAGE, watch_filter=_relevant, debounce=400, step=15,
                                   rust_timeout=200, yield_on_timeout=True, stop_event=stop):
            if not started:
                started = True
                loaded = ", ".join(warm_up()) or "no library"
                echo(f"watch: {loaded} loaded in {time.perf_counter() - t0:.1f} s; "
                     f"watching {paths.rel(paths.DOC)}/ and {paths.rel(paths.PACKAGE)}/ (Ctrl-C to stop)")
                rebuild([], echo)
            if changes:
                rebuild(sorted({paths.rel(Path(p)) for _, p in changes}), echo)
    finally:
        _stop_next()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
