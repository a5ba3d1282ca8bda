"""Content-addressed artifacts: compute only what changed, never trust a half-written file.

Each artifact records a key: the hash of everything its output depends on (its producer's
source and the hw1 modules that reaches, its parameters, the versions of the libraries those
modules import, and the content of its input artifacts).  A build reruns an artifact only
when the key changes or an output is missing or does not match its recorded hash.  Hashes of
content, never mtimes: a checkout or a ``touch`` reruns nothing.

Outputs are written to temporary files and renamed into place; the manifest (one JSON file,
itself replaced atomically) is updated only after all of an artifact's outputs are in place.
An interrupted build therefore leaves at worst orphaned temporary files, which are removed,
and outputs the manifest does not vouch for, which are rebuilt.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hw1 import paths
from hw1.engine import deps

MANIFEST = paths.CACHE / "manifest.json"
DATA = paths.CACHE / "data"
FORMAT = 1   # bump to invalidate every cache entry


class BuildError(Exception):
    """A build step failed; the message says what and where, for a person to act on."""


@dataclass(frozen=True)
class Artifact:
    """One generated thing.  ``producer`` is "module:function", called with a Context.

    A *data* artifact (``data=True``) has a producer that returns a JSON-ready dict, stored as
    build/cache/data/<name>.json; other producers write their ``outputs`` (paths relative to
    the project root) through ``ctx.out(path)``."""

    name: str
    producer: str
    outputs: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    data: bool = False

    @property
    def module(self) -> str:
        return self.producer.partition(":")[0]

    @property
    def files(self) -> tuple[str, ...]:
        if self.data:
            return ((DATA / f"{self.name}.json").relative_to(paths.ROOT).as_posix(),)
        return self.outputs


class Context:
    """What a producer sees: its parameters, its inputs' data, and where to write."""

    def __init__(self, artifact: Artifact):
        self.artifact = artifact
        self.params = dict(artifact.params)
        self._temps: dict[str, Path] = {}

    def out(self, rel: str) -> Path:
        if rel not in self.artifact.files:
            raise BuildError(f"{self.artifact.producer} wrote {rel}, which artifact "
                             f"{self.artifact.name!r} does not declare as an output")
        final = paths.ROOT / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        self._temps[rel] = temp
        return temp

    def data(self, name: str) -> dict:
        if name not in self.artifact.inputs:
            raise BuildError(f"artifact {self.artifact.name!r} reads {name!r} without declaring it")
        path = DATA / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8"))


class Manifest:
    """The JSON record of what was built from what."""

    def __init__(self, path: Path = MANIFEST):
        self.path = path
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):   # missing or corrupted: trust nothing, rebuild
            loaded = {}
        if loaded.get("format") != FORMAT:
            loaded = {}
        self.artifacts: dict = loaded.get("artifacts", {})
        self.tex: dict = loaded.get("tex", {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        payload = {"format": FORMAT, "artifacts": self.artifacts, "tex": self.tex}
        temp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, self.path)


def components(artifact: Artifact, manifest: Manifest) -> dict:
    """Everything the artifact's content depends on (the key is the hash of this)."""
    return {
        "producer": artifact.producer,
        "params": artifact.params,
        "sources": deps.closure(artifact.module),
        "libraries": deps.libraries(artifact.module),
        "inputs": {name: manifest.artifacts.get(name, {}).get("outputs", {}) for name in artifact.inputs},
    }


def key_of(parts: dict) -> str:
    return deps.sha256_bytes(json.dumps(parts, sort_keys=True).encode())


def why_stale(artifact: Artifact, parts: dict, manifest: Manifest) -> str | None:
    """None if the recorded outputs can be reused, else the reason they cannot."""
    entry = manifest.artifacts.get(artifact.name)
    if entry is None:
        return "never built"
    if entry.get("key") != key_of(parts):
        old = entry.get("components", {})
        changed = [f"{rel} changed" for rel, h in parts["sources"].items()
                   if old.get("sources", {}).get(rel) != h]
        changed += [f"{lib} {old.get('libraries', {}).get(lib)} -> {v}"
                    for lib, v in parts["libraries"].items() if old.get("libraries", {}).get(lib) != v]
        changed += [f"input {name} changed" for name, h in parts["inputs"].items()
                    if old.get("inputs", {}).get(name) != h]
        if parts["params"] != old.get("params"):
            changed.append("parameters changed")
        if parts["producer"] != old.get("producer"):
            changed.append("producer changed")
        return ", ".join(changed) or "dependencies changed"
    for rel, digest in entry.get("outputs", {}).items():
        path = paths.ROOT / rel
        if not path.is_file():
            return f"{rel} is missing"
        if deps.sha256_file(path) != digest:
            return f"{rel} does not match its recorded hash (edited or corrupted)"
    return None


def _producer(artifact: Artifact) -> Callable:
    module, _, function = artifact.producer.partition(":")
    return getattr(importlib.import_module(module), function)


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame inside the project, for an error message."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(paths.ROOT)]
    if not frames:
        return ""
    f = frames[-1]
    return f" at {Path(f.filename).resolve().relative_to(paths.ROOT)}:{f.lineno}"


def produce(artifact: Artifact) -> dict:
    """Run the producer and move its outputs into place.  Returns what the manifest records
    of them (their hashes, the seconds taken).  Runs in a worker process or in the build's."""
    start = time.perf_counter()
    ctx = Context(artifact)
    collecting = gc.isenabled()
    # A producer is short, but its first imports (torch, torch._dynamo, sympy, matplotlib)
    # create hundreds of thousands of objects, over which the cyclic garbage collector would
    # run again and again; paused, and frozen in workers (see _produce_in_worker), it saves
    # about 0.4 s of a 4.8 s clean build on the 2-core machine.
    gc.disable()
    try:
        result = _producer(artifact)(ctx)
        if artifact.data:
            if not isinstance(result, dict):
                raise BuildError(f"{artifact.producer} must return a dict, returned {type(result).__name__}")
            ctx.out(artifact.files[0]).write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
        missing = [rel for rel in artifact.files if rel not in ctx._temps or not ctx._temps[rel].is_file()]
        if missing:
            raise BuildError(f"{artifact.producer} did not write {', '.join(missing)}")
        for rel, temp in ctx._temps.items():
            os.replace(temp, paths.ROOT / rel)
    except BaseException as exc:
        for temp in ctx._temps.values():
            temp.unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if isinstance(exc, BuildError):
            raise BuildError(f"computing {artifact.name} ({artifact.producer}) failed: {exc}") from None
        raise BuildError(f"computing {artifact.name} ({artifact.producer}) failed{_where(exc)}: "
                         f"{type(exc).__name__}: {exc}") from None
    finally:
        if collecting:
            gc.enable()
    return {"outputs": {rel: deps.sha256_file(paths.ROOT / rel) for rel in artifact.files},
            "seconds": round(time.perf_counter() - start, 3)}


def _produce_in_worker(artifact: Artifact) -> dict:
    """``produce`` in a worker process, which ends with the build: what the producer left
    behind (mostly imported modules) is moved out of the collector's sight (gc.freeze), so
    that later producers in the same worker do not scan it again."""
    try:
        return produce(artifact)
    finally:
        gc.freeze()


def record(manifest: Manifest, artifact: Artifact, parts: dict, entry: dict) -> None:
    """Vouch for an artifact's outputs: only now will a later build trust them."""
    manifest.artifacts[artifact.name] = {"key": key_of(parts), "components": parts, **entry}
    manifest.save()


def remove_orphans() -> None:
    """Temporary files left by an interrupted build (their names start with '.' and hold
    '.tmp-'); no build ever trusts them, and here they go."""
    for folder in (paths.GENERATED, paths.FIGURES, DATA, paths.CACHE):
        if folder.is_dir():
            for temp in folder.glob(".*.tmp-*"):
                temp.unlink(missing_ok=True)


def lane(artifact: Artifact) -> int:
    """Which worker computes the artifact: those that import torch share one, the others
    (matplotlib, numba, scipy) the other, so each heavy library is imported once."""
    return 0 if "torch" in deps.libraries(artifact.module) else 1


def _jobs() -> int:
    value = os.environ.get("HW1_JOBS", "2")
    if not value.isdigit() or int(value) < 1:
        raise BuildError(f"HW1_JOBS must be a positive integer, got {value!r}")
    return min(int(value), 2)


def _executor():
    """One worker process (forked: it starts at once and inherits what is imported here)."""
    import multiprocessing  # here, not at the top: a no-op build never needs them
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))


def update(artifacts: list[Artifact], manifest: Manifest, *,
           report: Callable[[str, str, str], None]) -> int:
    """Bring every artifact up to date.  An artifact is examined once its inputs are up to
    date; stale ones are computed by two worker processes (see ``lane``; HW1_JOBS=1 computes
    them one by one in this process).  ``report(name, verdict, detail)`` hears of each one.
    Returns the number rebuilt; raises the first failure after the running work has ended."""
    names = {a.name for a in artifacts}
    for a in artifacts:
        unknown = [i for i in a.inputs if i not in names]
        if unknown:
            raise BuildError(f"artifact {a.name!r} reads unknown artifact(s) {unknown}")
    jobs = _jobs()
    readers = {a.name: sum(a.name in b.inputs for b in artifacts) for a in artifacts}
    # what others read goes first, so that their readers (often in the other lane) can start
    pending, done, running = sorted(artifacts, key=lambda a: -readers[a.name]), set(), {}
    executors: dict = {}    # lane -> ProcessPoolExecutor, started when first needed
    failure: BaseException | None = None
    rebuilt = 0
    try:
        while pending or running:
            ready = [a for a in pending if all(i in done for i in a.inputs)]
            while ready and failure is None:      # reused artifacts may make others ready
                artifact = ready.pop(0)
                pending.remove(artifact)
                parts = components(artifact, manifest)
                reason = why_stale(artifact, parts, manifest)
                if reason is None:
                    report(artifact.name, "reused", "sources, parameters, libraries and inputs unchanged")
                elif jobs == 1:
                    report(artifact.name, "building", reason)
                    entry = produce(artifact)
                    record(manifest, artifact, parts, entry)
                    rebuilt += 1
                    report(artifact.name, "built", f"{entry['seconds']:.1f} s")
                else:
                    report(artifact.name, "building", reason)
                    k = lane(artifact)
                    if k not in executors:
                        executors[k] = _executor()
                    running[executors[k].submit(_produce_in_worker, artifact)] = (artifact, parts)
                    continue
                done.add(artifact.name)
                ready = [a for a in pending if all(i in done for i in a.inputs)]
            if failure is not None and not running:
                break
            if not running:
                if pending:   # inputs that can never be ready: a cycle
                    raise BuildError(f"artifacts {[a.name for a in pending]} wait on each other")
                break
            from concurrent.futures import FIRST_COMPLETED, wait

            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                artifact, parts = running.pop(future)
                try:
                    entry = future.result()
                except BaseException as exc:   # noqa: BLE001 - reported after the others end
                    failure = failure or exc
                    continue
                record(manifest, artifact, parts, entry)
                rebuilt += 1
                done.add(artifact.name)
                report(artifact.name, "built", f"{entry['seconds']:.1f} s")
    finally:
        for executor in executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
        deps.save_imports_cache()
    if failure is not None:
        raise failure
    return rebuilt
