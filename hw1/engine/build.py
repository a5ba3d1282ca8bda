"""``invoke build-pdf``: bring the artifacts up to date, compile if a TeX input changed, and
replace build/hw1.pdf only when everything succeeded.  Standard library only, so a no-op
build is as cheap as hashing a few files."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from hw1 import document, paths
from hw1.engine import deps, latex, store
from hw1.engine.store import BuildError, Manifest

LOCK = paths.BUILD / ".lock"


@contextlib.contextmanager
def lock() -> Iterator[None]:
    """Hold the build lock; a second build at the same time is refused with a clear message.
    The lock is an OS file lock, released when the process ends however it ends."""
    paths.BUILD.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise BuildError(f"another build is running ({holder}); wait for it to finish, "
                             "then build again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%H:%M:%S')}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def tex_components(manifest: Manifest, epoch: str) -> dict:
    """Everything the TeX run reads from the project: hand-written doc/ files, the generated
    fragments and figures (by their recorded hashes), the date, the command."""
    doc = {p.relative_to(paths.ROOT).as_posix(): deps.sha256_file(p)
           for p in sorted(paths.DOC.rglob("*")) if p.is_file()}
    generated = {rel: h for entry in manifest.artifacts.values()
                 for rel, h in entry.get("outputs", {}).items() if not rel.startswith("build/cache/")}
    return {"doc": doc, "generated": dict(sorted(generated.items())), "epoch": epoch,
            "command": latex.command(), "texinputs": latex.texinputs()}


def _tex_reason(manifest: Manifest, parts: dict) -> str | None:
    old = manifest.tex
    if not old:
        return "never compiled"
    if not paths.PDF.is_file():
        return f"{paths.PDF.relative_to(paths.ROOT)} is missing"
    if store.key_of(parts) != old.get("key"):
        before = old.get("components", {})
        changed = [rel for group in ("doc", "generated") for rel, h in parts[group].items()
                   if before.get(group, {}).get(rel) != h]
        changed += [rel for group in ("doc", "generated") for rel in before.get(group, {})
                    if rel not in parts[group]]
        if parts["epoch"] != before.get("epoch"):
            changed.append("SOURCE_DATE_EPOCH (the last commit's time)")
        return "changed: " + (", ".join(changed) or "the TeX command")
    if deps.sha256_file(paths.PDF) != old.get("pdf"):
        return f"{paths.PDF.relative_to(paths.ROOT)} does not match the recorded build"
    return None


class BuildResult(NamedTuple):
    rebuilt: int
    compiled: bool
    summary: latex.LogSummary | None
    seconds: float


def _replace_pdf(made: Path) -> None:
    temp = paths.PDF.with_name(f".{paths.PDF.name}.tmp-{os.getpid()}")
    shutil.copyfile(made, temp)
    os.replace(temp, paths.PDF)


def build_pdf(*, explain: bool = False, echo: Callable[[str], None] = print) -> BuildResult:
    """Build build/hw1.pdf.  Raises BuildError or latex.LatexError with a short message."""
    start = time.perf_counter()
    with lock():
        store.remove_orphans()
        manifest = Manifest()

        def report(name: str, verdict: str, detail: str) -> None:
            if explain or verdict == "building":
                echo(f"  {verdict:<8} {name}: {detail}" if verdict != "building"
                     else f"  building {name} ({detail})")

        rebuilt = store.update(document.ARTIFACTS, manifest, report=report)
        echo(f"artifacts: {rebuilt} rebuilt, {len(document.ARTIFACTS) - rebuilt} reused")

        epoch = latex.source_date_epoch()
        if not epoch:
            echo("note: not a git checkout and SOURCE_DATE_EPOCH unset: the PDF carries today's "
                 "date and its bytes will differ from build to build")
        parts = tex_components(manifest, epoch)
        reason = _tex_reason(manifest, parts)
        if reason is None:
            if explain:
                echo("  reused   LaTeX: no TeX input changed")
            echo(f"pdf: {paths.PDF.relative_to(paths.ROOT)} is up to date")
            return BuildResult(rebuilt, False, None, time.perf_counter() - start)

        echo(f"latex: compiling {paths.MAIN_TEX.relative_to(paths.ROOT)} ({reason})"
             if explain else f"latex: compiling {paths.MAIN_TEX.relative_to(paths.ROOT)}")
        producers = {rel: a.producer for a in document.ARTIFACTS for rel in a.files}
        t0 = time.perf_counter()
        try:
            made, summary, passes = latex.compile_pdf(epoch, producers)
        except KeyboardInterrupt:
            # latexmk's own record may now describe a run that never finished: forget it
            (paths.TEX_OUT / "hw1.fdb_latexmk").unlink(missing_ok=True)
            raise
        _replace_pdf(made)
        manifest.tex = {"key": store.key_of(parts), "components": parts,
                        "pdf": deps.sha256_file(paths.PDF)}
        manifest.save()
        echo(f"latex: {passes} pdflatex pass(es) in {time.perf_counter() - t0:.1f} s; {summary.line()}")
        echo(f"pdf: {paths.PDF.relative_to(paths.ROOT)} ({_pages(made)} pages, "
             f"{paths.PDF.stat().st_size // 1024} kB) in {time.perf_counter() - start:.1f} s")
        return BuildResult(rebuilt, True, summary, time.perf_counter() - start)


def _pages(pdf: Path) -> str:
    log = pdf.with_suffix(".log")
    try:
        m = re.search(r"Output written on .*?\((\d+) pages?", log.read_text(encoding="latin-1"))
    except OSError:
        return "?"
    return m.group(1) if m else "?"
