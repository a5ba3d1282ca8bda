"""``invoke build-pdf``: find the declarations, check every name the LaTeX uses, bring the
artifacts up to date, compile if a TeX input changed, and replace the PDF only when everything
succeeded.  Standard library only, so a no-op build is as cheap as hashing a few files.

Two layers decide what to rebuild, each with one job:

1. **Did anything change at all?** (``noop``, before this module is even imported.)  The size,
   times and inode of every source, output and installed-library folder, as the last successful
   build left them.  Any difference, a mere ``touch`` included, sends the build here; it never
   decides what is stale, only that nothing can be.
2. **What is stale?** (here, by content.)  Each artifact's key is the hash of what it depends
   on (``store.components``: its code, its module's import closure, library versions, the
   engine code that renders it, the data it reads); it is recomputed when its key changes or
   its output no longer matches its recorded hash.  The TeX run's key is the hash of every file
   TeX read and every ``.tex``/``.bib`` file of the document's folder (``tex_components``); TeX
   runs when it changes or the PDF does not match.  The precompiled preamble has a key of its
   own (``texformat.key``), which decides only whether the format is remade.

(``deps`` remembers what each file hashed to by its metadata, so an untouched file is not read
again: a cache of hashes, not a third layer; content always decides.)"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from hw1.engine import bibliography, deps, discover, fragments, latex, paths, store, texscan
from hw1.engine.noop import say
from hw1.engine.store import BuildError, Manifest

LOCK = paths.LOCK


def _leftovers(path: Path) -> list[int]:
    """Python processes running in this project that have ``path`` open: what a killed build
    left behind (from /proc; empty where there is none).  Nothing else is ever touched."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (int(proc.name) == os.getpid() or os.path.realpath(proc / "cwd") != str(paths.ROOT)
                    or "python" not in os.path.basename(os.path.realpath(proc / "exe"))):
                continue
            if any(os.path.realpath(fd) == str(path.resolve()) for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def lock(echo: Callable[[str], None] = say) -> Iterator[int]:
    """Hold the build lock; a second build at the same time is refused with a clear message.
    The lock is an OS file lock, released when the process ends however it ends; the build's
    workers die with it.  A lock held only by processes a dead build left behind is taken over."""
    paths.BUILD.mkdir(parents=True, exist_ok=True)
    paths.refuse_special(LOCK)        # reading a FIFO would wait forever
    with open(LOCK, "a+", encoding="utf-8") as handle:
        handle.seek(0)
        previous = handle.read().strip()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            m = re.match(r"pid (\d+)", previous)
            if not m or _alive(int(m.group(1))):
                raise BuildError(f"another build is running ({previous or 'unknown'}); wait for it to "
                                 "finish, then build again") from None
            orphans = _leftovers(LOCK)
            for pid in orphans:           # processes of a build that was killed: they end now
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
            for _ in range(50 if orphans else 0):    # released as soon as they are gone
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(0.1)
            else:
                raise BuildError(f"the build that held the lock ({previous}) is gone, but another process "
                                 f"still holds {paths.rel(LOCK)}: find it with `fuser {paths.rel(LOCK)}`, "
                                 "stop it, then build again") from None
            echo(f"note: the build that held the lock ({previous}) is gone; its left-over "
                 f"process(es) {', '.join(map(str, orphans)) or 'none'} were stopped and the lock taken over")
        else:
            if previous:
                echo(f"note: the previous build ({previous}) did not end cleanly; its lock is taken over")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%H:%M:%S')}")
        handle.flush()
        try:
            yield handle.fileno()          # the build's workers must not hold it
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _hashes(rels) -> dict[str, str]:
    out = {}
    for rel in rels:
        try:
            out[rel] = deps.sha256_file(paths.ROOT / rel)
        except OSError:
            out[rel] = "missing"
    return out


def _tex_files() -> list[str]:
    from hw1.engine import texformat

    doc = [p.relative_to(paths.ROOT).as_posix() for p in sorted(paths.DOC.rglob("*.tex"))]
    return sorted({*doc, *bibliography.sources(), *latex.read_files(), *latex.read_files(texformat.fls())})


def tex_components(epoch: str) -> dict:
    """Everything the TeX run reads from the project: every .tex and .bib file of the document's
    folder (a new one may be \\input, or named by \\bibliography), and every project file the
    last run read (fragments, figures, the style, listed sources), by content; the date; the
    command."""
    return {"read": _hashes(_tex_files()), "epoch": epoch, "command": latex.command(),
            "texinputs": latex.texinputs()}


def _tex_sources() -> dict[str, str]:
    """The hand-written files among those, by content, as a build begins (what builds make aside)."""
    made = tuple(paths.rel(folder) + "/" for folder in (paths.BUILD, paths.FIGURES))
    return _hashes([rel for rel in _tex_files() if not rel.startswith(made)])


def _tex_reason(manifest: Manifest, parts: dict) -> str | None:
    old = manifest.tex
    if not old:
        return "never compiled"
    if not paths.PDF.is_file():
        return f"{paths.rel(paths.PDF)} is missing"
    if store.key_of(parts) != old.get("key"):
        before = old.get("components", {}).get("read", {})
        changed = [rel for rel, h in parts["read"].items() if before.get(rel) != h]
        changed += [rel for rel in before if rel not in parts["read"]]
        if parts["epoch"] != old.get("components", {}).get("epoch"):
            changed.append("SOURCE_DATE_EPOCH (the last commit's time)")
        return "changed: " + (", ".join(changed) or "the TeX command")
    try:
        if deps.sha256_file(paths.PDF) != old.get("pdf"):
            return f"{paths.rel(paths.PDF)} does not match the recorded build"
    except OSError:
        return f"{paths.rel(paths.PDF)} cannot be read"
    return None


class BuildResult(NamedTuple):
    rebuilt: int
    compiled: bool
    warnings: tuple[str, ...]      # the lines "warning: ..." the build printed
    passes: int = 0
    artifacts: int = 0
    outputs: tuple[str, ...] = ()
    raced: tuple[str, ...] = ()    # files TeX reads that changed while the build ran


def _replace(made: Path, final: Path) -> None:
    """Copy ``made`` over ``final`` atomically (the old one stays if anything fails)."""
    deps.write_atomic(final, made.read_bytes())


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if paths.read_text(path) == text:
            return
    except (OSError, ValueError, paths.NotAFile):   # missing, damaged or a FIFO: written anew
        pass
    deps.write_atomic(path, text)


def declarations_and_references(echo: Callable[[str], None]) -> tuple[list, tuple[str, ...]]:
    """The document's declarations, after checking every name its LaTeX uses, and the warnings
    said.  Unknown names stop the build (file:line, closest names); hand-typed display math gets
    a warning each."""
    found = discover.declarations()
    refs, _ = texscan.scan(unfinished=False)
    errors = texscan.check_references(refs, discover.by_name(found))
    if errors:
        raise BuildError("\n".join(str(e) for e in errors[:10])
                         + (f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""))
    from hw1.engine import typed

    shown = typed.for_build(echo)     # typed display math: checked, marked; what is not, said
    warnings = tuple(f"warning: {finding}" for finding in shown)
    for line in warnings:
        echo(line)
    return found, warnings


def build_pdf(*, explain: bool = False, echo: Callable[[str], None] = say,
              progress: Callable[[str], None] | None = None, ahead=None) -> BuildResult:
    """Build the document's PDF.  Raises BuildError or latex.LatexError with a short message.
    A success leaves behind what the next no-op needs to answer at once (``noop``).
    ``progress`` (default: ``echo``) hears, as it happens, of a declaration or a TeX pass that
    runs long.  ``ahead`` is ``invoke watch``'s pdflatex pass started ahead of time
    (``ahead.PassAhead``): the build's first pass, if it fits."""
    from hw1.engine import noop

    result = None
    begun = noop.begin()    # a file saved while the build runs makes the next one a full build
    try:
        result = _build(explain, echo, echo if progress is None else progress, ahead)
        return result
    except OSError as exc:
        raise store.os_error(exc) from None
    except paths.NotAFile as exc:
        raise BuildError(str(exc)) from None
    finally:
        discover.save_cache()
        deps.save_hashes()
        if result is None or result.raced:
            noop.forget()
        else:   # what a build that finds nothing to do says
            said = [f"artifacts: 0 rebuilt, {result.artifacts} reused",
                    *result.warnings,
                    f"pdf: {paths.rel(paths.PDF)} is up to date"]
            noop.record(result.outputs, said, begun)


def _build(explain: bool, echo: Callable[[str], None], progress: Callable[[str], None],
           ahead) -> BuildResult:
    start = time.perf_counter()
    with lock(echo) as lock_fd:
        sources = _tex_sources()
        store.remove_orphans()
        try:
            found, warnings = declarations_and_references(echo)
        except discover.DiscoveryError as exc:
            raise BuildError(str(exc)) from None
        manifest = Manifest()
        todo = store.artifacts(found)
        gone = store.forget_removed(manifest, todo)
        if gone and explain:
            echo(f"  removed  {', '.join(gone)}: no longer declared")

        def report(name: str, verdict: str, detail: str) -> None:
            if explain or verdict == "building":
                echo(f"  {verdict:<8} {name}: {detail}" if verdict != "building"
                     else f"  building {name} ({detail})")

        early = _start_tex_early(todo, manifest, ahead)

        def report_and_release(name: str, verdict: str, detail: str) -> None:
            report(name, verdict, detail)
            if verdict == "built" and name in early:
                ahead.release(name)        # the pass started early may read it now

        rebuilt = store.update(todo, manifest, report=report_and_release, progress=progress,
                               close_fds=(lock_fd,))
        echo(f"artifacts: {rebuilt} rebuilt, {len(todo) - rebuilt} reused")
        _write_if_changed(paths.GENERATED / fragments.INDEX, fragments.index(todo, paths.GENERATED))

        epoch = latex.source_date_epoch()
        if not epoch:
            echo("note: not a git checkout and SOURCE_DATE_EPOCH unset: the PDF carries today's "
                 "date and its bytes will differ from build to build")
        parts = tex_components(epoch)
        reason = _tex_reason(manifest, parts)
        if reason is None:
            if explain:
                echo("  reused   LaTeX: no TeX input changed")
            echo(f"pdf: {paths.rel(paths.PDF)} is up to date")
            return BuildResult(rebuilt, False, warnings, 0, len(todo), _outputs(todo))

        main = paths.rel(paths.MAIN_TEX)
        echo(f"latex: compiling {main} ({reason})" if explain else f"latex: compiling {main}")
        producers = {key: f"{d.kind} {d.name} ({d.where})"
                     for d in todo for key in (d.name, *store.outputs(d))}
        t0 = time.perf_counter()
        fmt_record = dict(manifest.tex.get("format") or {})
        made, summary, passes, note = latex.compile_pdf(epoch, producers, fmt_record, progress, ahead)
        _replace(made, paths.PDF)
        _replace(made.with_suffix(".synctex.gz"), paths.PDF.with_suffix(".synctex.gz"))
        parts = tex_components(epoch)     # with what this run read
        # a file saved while TeX ran (it may have read either version): recorded as the build
        # found it, so that the next build compiles again
        raced = tuple(rel for rel, digest in sources.items() if parts["read"].get(rel, digest) != digest)
        parts["read"].update({rel: sources[rel] for rel in raced})
        manifest.tex = {"key": store.key_of(parts), "components": parts, "pdf": deps.sha256_file(paths.PDF),
                        "format": fmt_record}
        manifest.save()
        if note:
            echo(f"note: {note}")
        if raced:
            echo(f"note: {', '.join(raced)} changed while the build ran: the next build compiles again")
        echo(f"latex: {passes} pdflatex pass(es) in {time.perf_counter() - t0:.1f} s; {summary.line()}")
        echo(f"pdf: {paths.rel(paths.PDF)} ({latex.page_count() or '?'} pages, "
             f"{paths.PDF.stat().st_size // 1024} kB) in {time.perf_counter() - start:.1f} s")
        return BuildResult(rebuilt, True, warnings, passes, len(todo), _outputs(todo), raced)


def _start_tex_early(todo: list, manifest: Manifest, ahead) -> set[str]:
    """Under ``invoke watch``, when no artifact but figures is out of date: write the index of
    names (which no figure changes), and tell the pass started ahead to go at once, waiting at
    each of those figures until it is drawn.  Their names; empty if the pass was not started."""
    if ahead is None:
        return set()
    stale = [d for d in todo if store.why_stale(d, store.components(d, manifest), manifest) is not None]
    if any(d.kind != "figure" for d in stale):
        return set()          # values or claims change the index, or experiments the figures
    _write_if_changed(paths.GENERATED / fragments.INDEX, fragments.index(todo, paths.GENERATED))
    env, fmt = latex.environment(latex.source_date_epoch()), ahead.fmt
    figures = {d.name: store.outputs(d)[0] for d in stale}
    return set(figures) if ahead.start(env, fmt, paths.TEX_OUT, figures=figures) else set()


def _outputs(todo: list) -> tuple[str, ...]:
    return tuple(rel for d in todo for rel in store.outputs(d))
