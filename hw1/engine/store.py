"""Content-addressed artifacts: compute only what changed, never trust a half-written file.

Every declaration the document can show is an artifact: an experiment's data
(build/cache/data/<name>.json), a value's or a claim's LaTeX fragment
(build/generated/fragments/<module>-<function>.tex), a figure (figures/<module>-<function>.pdf).  Each
records a key: the hash of everything its output depends on (its own code and the code of its
module it relies on, the project's modules that module imports, the versions of the libraries
those import, the engine code that turns its result into output, and the content of the
experiments it reads).  A build reruns an artifact only when the key changes or an output is
missing or does not match its recorded hash.  Hashes of content, never mtimes: a checkout or a
``touch`` reruns nothing.

Outputs are written to temporary files and renamed into place; the manifest (one JSON file,
itself replaced atomically) is updated only after all of an artifact's outputs are in place.
An interrupted build therefore leaves at worst orphaned temporary files, which are removed,
and outputs the manifest does not vouch for, which are rebuilt.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

from hw1.engine import deps, paths
from hw1.engine.discover import Declaration

MANIFEST = paths.MANIFEST
DATA = paths.DATA
FORMAT = 3   # bump to invalidate every cache entry
BUILT = ("experiment", "value", "claim", "figure")   # checks run in `invoke check` only
# the engine code that turns a declaration's result into its output (run.write_output), by kind
ENGINE = {"experiment": ("hw1.engine.run",), "value": ("hw1.engine.run", "hw1.engine.fragments"),
          "figure": ("hw1.engine.run",),
          "claim": ("hw1.engine.run", "hw1.engine.fragments", "hw1.engine.claims")}


class BuildError(Exception):
    """A build step failed; the message says what and where, for a person to act on."""


class ClaimFailed(BuildError):
    """A claim the document would display does not hold: the build must stop."""


def os_error(exc: OSError) -> BuildError:
    """One line for a failed read or write: which file, and what to do."""
    import errno

    where = paths.rel(Path(exc.filename)) if exc.filename else paths.rel(paths.BUILD)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        import shutil

        try:
            free = f" ({shutil.disk_usage(paths.BUILD).free // 1024} kB free)"
        except OSError:
            free = ""
        return BuildError(f"no space left on the disk that holds {paths.rel(paths.BUILD)}/{free}, "
                          f"writing {where}: free some space, then build again")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return BuildError(f"cannot write {where}: {exc.strerror} (is {paths.rel(paths.BUILD)}/ read-only?)")
    return BuildError(f"cannot read or write {where}: {exc.strerror}")


def artifacts(found: list[Declaration]) -> list[Declaration]:
    """The declarations the build makes something of (checks and wrong claims it does not)."""
    return [d for d in found if d.kind in BUILT and not d.wrong]


def outputs(decl: Declaration) -> tuple[str, ...]:
    """What ``decl`` writes, relative to the project root."""
    from hw1.engine import fragments

    if decl.kind == "experiment":
        path = data_path(decl.name)
    elif decl.kind == "figure":
        path = paths.FIGURES / fragments.figure_file(decl)
    else:
        path = paths.GENERATED / fragments.fragment_file(decl)
    return (path.relative_to(paths.ROOT).as_posix(),)


def data_path(name: str) -> Path:
    return DATA / f"{name}.json"


class Manifest:
    """The JSON record of what was built from what.  The dependencies many artifacts share
    (a module's sources, its libraries, the engine's code) are kept once, in ``tables``, and
    named in each artifact's components by their hash."""

    def __init__(self, path: Path = MANIFEST):
        self.path = path
        self._saved, self._pending = -1e9, False
        try:
            loaded = json.loads(paths.read_text(path))
        except (OSError, ValueError):   # missing or corrupted: trust nothing, rebuild
            loaded = {}
        if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
            loaded = {}
        artifacts, tex, tables = loaded.get("artifacts"), loaded.get("tex"), loaded.get("tables")
        self.artifacts: dict = {k: v for k, v in artifacts.items() if _valid_entry(v)} \
            if isinstance(artifacts, dict) else {}
        self.tex: dict = tex if isinstance(tex, dict) else {}
        self.tables: dict = {k: v for k, v in tables.items() if isinstance(v, dict)} \
            if isinstance(tables, dict) else {}

    SAVE_EVERY = 0.25     # seconds: while artifacts are being recorded, at most this often

    def save(self, *, batched: bool = False) -> None:
        """Write the record.  ``batched``: unless it was written less than SAVE_EVERY ago (then
        ``flush`` writes it); a build killed meanwhile only computes those artifacts again."""
        now = time.monotonic()
        if batched and now - self._saved < self.SAVE_EVERY:
            self._pending = True
            return
        self._saved, self._pending = now, False
        used = {h for e in self.artifacts.values() for h in e["components"].values() if isinstance(h, str)}
        tables = {h: t for h, t in self.tables.items() if h in used}
        deps.write_state(self.path, {"format": FORMAT, "artifacts": self.artifacts, "tex": self.tex,
                                     "tables": tables})

    def flush(self) -> None:
        """Write what a batched ``save`` held back, if anything."""
        if self._pending:
            self.save()


def _valid_entry(entry) -> bool:
    """A manifest entry has a key, its components and the hashes of its outputs, every one of
    them in the document's output folders (an entry naming doc/part.tex, or a file outside the
    project, is dropped: a build never reads, writes or deletes what such an entry names)."""
    return (isinstance(entry, dict) and isinstance(entry.get("key"), str)
            and isinstance(entry.get("components"), dict) and isinstance(entry.get("outputs"), dict)
            and all(isinstance(k, str) and isinstance(v, str) and paths.output_file(k) is not None
                    for k, v in entry["outputs"].items()))


def _table(content: dict) -> tuple[str, dict]:
    return deps.sha256_bytes(json.dumps(content, sort_keys=True).encode()), content


@cache
def _shared(module: str, kind: str) -> dict[str, tuple[str, dict]]:
    """The dependencies every declaration of ``kind`` in ``module`` shares, as (hash, table)."""
    own = deps.module_path(module)
    own_rel = own.relative_to(paths.ROOT).as_posix() if own else ""
    engine: dict[str, str] = {}
    for name in ENGINE[kind]:
        engine.update(deps.closure(name))
    return {"sources": _table({rel: h for rel, h in deps.closure(module).items() if rel != own_rel}),
            "libraries": _table(deps.libraries(module)),
            "engine": _table(dict(sorted(engine.items())))}


def components(decl: Declaration, manifest: Manifest) -> dict:
    """Everything the artifact's content depends on (the key is the hash of this): its own
    code and what it uses of its module (see discover), the project modules its module imports,
    their libraries' versions, the engine code that renders it, the data it reads."""
    parts = {"kind": decl.kind, "code": decl.code}
    for group, (digest, table) in _shared(decl.module, decl.kind).items():
        parts[group] = digest
        manifest.tables.setdefault(digest, table)
    parts["inputs"] = {name: manifest.artifacts.get(name, {}).get("outputs", {}) for name in decl.inputs}
    if decl.kind == "claim" and paths.CONFIG["claim_order"] != "none":   # the document's printer setting
        parts["claim_order"] = paths.CONFIG["claim_order"]
    return parts


def key_of(parts: dict) -> str:
    return deps.sha256_bytes(json.dumps(parts, sort_keys=True).encode())


def why_stale(decl: Declaration, parts: dict, manifest: Manifest) -> str | None:
    """None if the recorded outputs can be reused, else the reason they cannot."""
    entry = manifest.artifacts.get(decl.name)
    if entry is None:
        return "never built"
    if sorted(entry["outputs"]) != sorted(outputs(decl)):
        return "its record names other outputs than its own"
    if entry["key"] != key_of(parts):
        old = entry["components"]
        changed = []
        if parts["code"] != old.get("code"):
            changed.append(f"its code in {decl.file} changed")
        def tables(group: str) -> tuple[dict, dict]:
            return manifest.tables.get(old.get(group), {}), manifest.tables.get(parts[group], {})

        for group in ("sources", "engine"):
            before, now = tables(group)
            changed += [f"{rel} changed" for rel, h in now.items() if before.get(rel) != h]
        before, now = tables("libraries")
        changed += [f"{lib} {before.get(lib)} -> {v}" for lib, v in now.items() if before.get(lib) != v]
        before = old.get("inputs") if isinstance(old.get("inputs"), dict) else {}
        changed += [f"input {name} changed" for name, h in parts["inputs"].items() if before.get(name) != h]
        return ", ".join(dict.fromkeys(changed)) or "dependencies changed"
    for rel, digest in entry["outputs"].items():
        path = paths.ROOT / rel
        try:
            if deps.sha256_file(path) != digest:
                return f"{rel} does not match its recorded hash (edited or corrupted)"
        except FileNotFoundError:
            return f"{rel} is missing"
        except paths.NotAFile:          # made again, in its place (the write replaces it)
            return f"{rel} is not a regular file"
    return None


def _where(exc: BaseException) -> str:
    """" at file:line" of the author's code that raised ``exc``, for an error message."""
    at = paths.raised_at(exc)
    return f" at {at}" if at else ""


def _temp(rel: str) -> Path:
    final = paths.ROOT / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f".{final.name}.tmp-{os.getpid()}")


def cached_inputs(decl: Declaration) -> dict:
    """The data of the experiments ``decl`` reads, as the cache holds it, by parameter name."""
    return {name.partition(".")[2]: json.loads(paths.read_text(data_path(name)))
            for name in decl.inputs}


def failure(decl: Declaration, exc: BaseException) -> BuildError:
    """What the build says when computing ``decl`` raised ``exc`` (``invoke check`` says the
    same): the declaration, its file:line, and the author's line that raised."""
    from hw1.engine import run

    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        what = (f"called sys.exit({exc.code})" if isinstance(exc, SystemExit)
                else "raised KeyboardInterrupt")
        return BuildError(f"{decl.kind} {decl.name} ({decl.where}) {what}{_where(exc)}; "
                          "raise an exception instead")
    if isinstance(exc, run.ClaimDoesNotHold):
        return ClaimFailed(str(exc))
    if isinstance(exc, paths.NotAFile):
        return BuildError(str(exc))
    if isinstance(exc, BuildError):
        return exc
    if isinstance(exc, OSError) and exc.filename and \
            Path(exc.filename).resolve().is_relative_to(paths.BUILD):
        return os_error(exc)       # the build's own output, not the author's code
    return BuildError(f"computing {decl.kind} {decl.name} ({decl.where}) failed{_where(exc)}: "
                      f"{type(exc).__name__}: {exc}")


def produce(decl: Declaration) -> dict:
    """Compute ``decl`` and move its output into place.  Returns what the manifest records of
    it (its hashes, the seconds taken).  Runs in a worker process (``hw1.engine.workers``)."""
    start = time.perf_counter()
    (rel,) = outputs(decl)
    temp = _temp(rel)
    collecting = gc.isenabled()
    # A producer is short, but its first imports (torch, sympy, matplotlib) create hundreds of
    # thousands of objects, over which the cyclic garbage collector would run again and again;
    # paused, and frozen in workers (see _produce_in_worker), it saves about 0.4 s of a clean build.
    gc.disable()
    from hw1.engine import run

    try:
        run.write_output(decl, cached_inputs(decl), temp)
        if not temp.is_file():
            raise BuildError(f"{decl.kind} {decl.name} ({decl.where}) wrote nothing")
        os.replace(temp, paths.ROOT / rel)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        raise failure(decl, exc) from None
    finally:
        if collecting:
            gc.enable()
    return {"outputs": {rel: deps.sha256_file(paths.ROOT / rel)},
            "seconds": round(time.perf_counter() - start, 3)}


def _produce_in_worker(decl: Declaration) -> dict:
    """``produce`` in a worker process, which ends with the build: what the producer left
    behind (mostly imported modules) is moved out of the collector's sight (gc.freeze), so
    that later producers in the same worker do not scan it again."""
    try:
        return produce(decl)
    finally:
        gc.freeze()


def record(manifest: Manifest, decl: Declaration, parts: dict, entry: dict) -> None:
    """Vouch for an artifact's outputs: only now will a later build trust them.  Outputs it
    had before and no longer has (an engine that moved them) are removed."""
    old = manifest.artifacts.get(decl.name, {}).get("outputs", {})
    manifest.artifacts[decl.name] = {"key": key_of(parts), "components": parts, **entry}
    manifest.save(batched=True)
    for rel in set(old) - set(entry["outputs"]):
        path = paths.output_file(rel)         # checked on loading too: never outside build/, figures/
        if path is not None:
            path.unlink(missing_ok=True)


def forget_removed(manifest: Manifest, found: list[Declaration]) -> list[str]:
    """Drop the records and outputs of artifacts no longer declared; returns their names."""
    live = {d.name for d in found}
    gone = [name for name in manifest.artifacts if name not in live]
    for name in gone:
        for rel in manifest.artifacts.pop(name)["outputs"]:
            path = paths.output_file(rel)        # checked on loading too: never outside build/, figures/
            if path is not None:
                path.unlink(missing_ok=True)
    if gone:
        manifest.save()
    return gone


def remove_orphans() -> None:
    """Temporary files left by an interrupted build (their names start with '.' and hold
    '.tmp-'); no build ever trusts them, and here they go."""
    from hw1.engine import fragments

    for folder in (paths.GENERATED / fragments.FRAGMENTS, paths.GENERATED, paths.FIGURES, DATA, paths.CACHE,
                   paths.BUILD):
        if folder.is_dir():
            for temp in folder.glob(".*.tmp-*"):
                temp.unlink(missing_ok=True)


def lane(decl: Declaration) -> int:
    """Which worker computes the artifact: those that import torch when they run share one,
    the others (matplotlib, numba, scipy) the other, so each heavy library is imported once
    and the two run side by side."""
    for name in decl.imports:
        module = name
        while module and deps.module_path(module) is None and "." in module:
            module = module.rpartition(".")[0]          # hw1.claims.POINTS -> hw1.claims
        if deps.module_path(module) is not None:
            if "torch" in deps.libraries(module):
                return 0
        elif name.partition(".")[0] == "torch":
            return 0
    return 1


def worker_count() -> int:
    """How many worker processes compute declarations: HW1_JOBS (1 or 2; default 2)."""
    value = os.environ.get("HW1_JOBS", "2")
    if not value.isdigit() or int(value) < 1:
        raise BuildError(f"HW1_JOBS must be a positive integer, got {value!r}")
    return min(int(value), 2)


def update(todo: list[Declaration], manifest: Manifest, *,
           report: Callable[[str, str, str], None], progress: Callable[[str], None] | None = None,
           close_fds: tuple[int, ...] = ()) -> int:
    """Bring every artifact up to date.  An artifact is examined once its inputs are up to
    date; stale ones are computed by worker processes (``hw1.engine.workers``): two, see
    ``lane``; one with HW1_JOBS=1.  ``report(name, verdict, detail)`` hears of each one,
    ``progress(line)`` of one that computes long; ``close_fds`` are descriptors the workers must
    not keep open (the build lock).  Returns the number rebuilt; raises the first failure after
    the running work has ended."""
    from hw1.engine import workers

    jobs = worker_count()
    readers = {a.name: sum(a.name in b.inputs for b in todo) for a in todo}
    # what others read goes first, so that their readers (often in the other lane) can start
    pending, done = sorted(todo, key=lambda a: -readers[a.name]), set()
    failure: BaseException | None = None
    rebuilt = 0
    try:
        with workers.Pool(limit=paths.DECLARATION_TIME_LIMIT, limit_key="declaration_time_limit",
                          progress=progress, close_fds=list(close_fds)) as pool:
            while pending or pool.running:
                ready = [a for a in pending if all(i in done for i in a.inputs)]
                while ready and failure is None:      # reused artifacts may make others ready
                    decl = ready.pop(0)
                    pending.remove(decl)
                    parts = components(decl, manifest)
                    reason = why_stale(decl, parts, manifest)
                    if reason is None:
                        report(decl.name, "reused", "code, libraries and inputs unchanged")
                        done.add(decl.name)
                        ready = [a for a in pending if all(i in done for i in a.inputs)]
                        continue
                    report(decl.name, "building", reason)
                    pool.submit(lane(decl) if jobs > 1 else 0, (decl, parts), decl.name,
                                f"{decl.kind} {decl.name} ({decl.where})", _produce_in_worker, decl)
                if failure is not None and not pool.running:
                    break
                if not pool.running:
                    if pending:   # inputs that can never be ready: a cycle (discovery reports it first)
                        raise BuildError(f"artifacts {[a.name for a in pending]} wait on each other")
                    break
                for (decl, parts), ok, entry in pool.wait():
                    if not ok:
                        if isinstance(entry, workers.WorkerError):
                            entry = BuildError(str(entry))
                        failure = failure or entry
                        pool.cancel()           # what has not started will not
                        continue
                    record(manifest, decl, parts, entry)
                    rebuilt += 1
                    done.add(decl.name)
                    report(decl.name, "built", f"{entry['seconds']:.1f} s")
    finally:
        manifest.flush()
        deps.save_imports_cache()
    if failure is not None:
        raise failure
    return rebuilt
