"""Fast tests for hw1.engine.store: the scheduling of artifacts, how one is produced, and how
the manifest is read (the build-level promises are in test_engine.py)."""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hw1 import paths
from hw1.engine import run, store, workers
from hw1.engine.discover import Declaration
from hw1.engine.store import BuildError, Manifest


@pytest.fixture
def fake_producers(tmp_path, monkeypatch):
    """Declarations whose outputs are written by a stand-in for the real producer."""
    calls: list[tuple[str, bool]] = []   # (declaration, was the collector running?), in this process
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")     # the outputs' folder
    monkeypatch.setenv("HW1_JOBS", "1")

    def write(decl: Declaration, inputs, temp):
        calls.append((decl.name, gc.isenabled()))
        with open(tmp_path / "order.txt", "a") as order:    # workers are other processes
            order.write(decl.name + "\n")
        behaviour = BEHAVIOUR.get(decl.name.partition(".")[2])
        if behaviour is not None:
            behaviour()
        temp.write_text(decl.name)

    monkeypatch.setattr(run, "write_output", write)
    monkeypatch.setattr(store, "cached_inputs", lambda d: {})
    monkeypatch.setattr(store, "outputs", lambda d: (f"build/{d.name}.txt",))
    monkeypatch.setattr(store, "components", lambda d, m: {
        "code": d.code, "inputs": {n: m.artifacts.get(n, {}).get("outputs", {}) for n in d.inputs}})
    return calls


def _raise(exc: BaseException):
    def behave():
        raise exc
    return behave


def _sleep_forever():
    import time

    while True:
        time.sleep(0.01)


BEHAVIOUR = {   # what the stand-in producer does for some names, besides writing its output
    "broken": _raise(RuntimeError("boom")),
    "exits": _raise(SystemExit(3)),
    "interrupted": _raise(KeyboardInterrupt()),
    "os_exit": lambda: os._exit(0),
    "killed": lambda: os.kill(os.getpid(), signal.SIGKILL),
    "env": lambda: os.environ.__setitem__("HW1_TEST_LEAK", "leaked"),
    "chdir": lambda: os.chdir("/"),
    "forever": _sleep_forever,
    "forks": lambda: subprocess.Popen(["sleep", "60"]) and None,
}


def _decl(name: str, *inputs: str) -> Declaration:
    return Declaration(f"m.{name}", "value", "doc.m", name, "doc/m.py", 1, tuple(f"m.{i}" for i in inputs),
                       False, "0")


def test_what_others_read_is_computed_first(fake_producers, tmp_path):
    todo = [_decl("alone"), _decl("read"), _decl("reader", "read")]
    rebuilt = store.update(todo, Manifest(tmp_path / "manifest.json"), report=lambda *a: None)
    assert rebuilt == 3
    assert (tmp_path / "order.txt").read_text().split() == ["m.read", "m.alone", "m.reader"]
    assert (tmp_path / "build" / "m.reader.txt").read_text() == "m.reader"


def test_a_second_update_reuses_everything(fake_producers, tmp_path):
    todo = [_decl("read"), _decl("reader", "read")]
    manifest = Manifest(tmp_path / "manifest.json")
    store.update(todo, manifest, report=lambda *a: None)
    assert store.update(todo, Manifest(tmp_path / "manifest.json"), report=lambda *a: None) == 0


def test_producer_runs_with_the_collector_paused_and_it_is_restored(fake_producers):
    assert gc.isenabled()
    store.produce(_decl("a"))
    assert fake_producers == [("m.a", False)]
    assert gc.isenabled()


def test_collector_is_restored_after_a_failing_producer(fake_producers, tmp_path):
    with pytest.raises(BuildError, match=r"value m.broken \(doc/m.py:1\) failed.*RuntimeError: boom"):
        store.produce(_decl("broken"))
    assert gc.isenabled()
    assert not list(tmp_path.rglob(".*.tmp-*"))


def test_a_producer_that_exits_is_a_clear_error(fake_producers):
    with pytest.raises(BuildError, match=r"value m.exits \(doc/m.py:1\) called sys.exit\(3\)"):
        store.produce(_decl("exits"))


def test_a_paused_collector_stays_paused(fake_producers):
    gc.disable()
    try:
        store.produce(_decl("a"))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("content", ["[]", "null", "1", '"x"', '{"format": 2, "artifacts": []}',
                                     '{"format": 2, "artifacts": {"a": 1, "b": {"key": "k"}}, "tex": []}'])
def test_a_manifest_of_the_wrong_shape_is_treated_as_empty(tmp_path, content):
    path = tmp_path / "manifest.json"
    path.write_text(content)
    manifest = Manifest(path)
    assert manifest.artifacts == {} and manifest.tex == {}


def test_valid_manifest_entries_survive_invalid_neighbours(tmp_path):
    good = {"key": "k", "components": {}, "outputs": {"build/a.txt": "h"}, "seconds": 0.1}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": store.FORMAT, "artifacts": {"a": good, "b": {"key": 3}}}))
    assert Manifest(path).artifacts == {"a": good}


def test_batched_saves_are_held_back_briefly_and_flushed(tmp_path):
    path = tmp_path / "manifest.json"
    manifest = Manifest(path)
    manifest.tex = {"n": 1}
    manifest.save(batched=True)                       # the first is written at once
    assert json.loads(path.read_text())["tex"] == {"n": 1}
    manifest.tex = {"n": 2}
    manifest.save(batched=True)                       # within SAVE_EVERY: held back
    assert json.loads(path.read_text())["tex"] == {"n": 1}
    manifest.flush()
    assert json.loads(path.read_text())["tex"] == {"n": 2}
    manifest.flush()                                  # nothing pending: nothing written
    path.unlink()
    manifest.flush()
    assert not path.exists()



def test_the_code_that_writes_every_output_is_in_every_artifacts_key():
    # store.produce hands every kind to run.write_output; a change to it must recompute
    for kind in store.BUILT:
        assert run.write_output.__module__ in store.ENGINE[kind]


# Declarations run in worker processes (hw1.engine.workers), in every mode: whatever one does
# to its process reaches neither the build nor a later declaration, and its end is named.

@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name, message", [
    ("os_exit", r"the worker process computing value m.os_exit \(doc/m.py:1\) ended \(exit code 0\) "
                r"before it returned: did its code call os._exit\(\)"),
    ("killed", r"the worker process computing value m.killed \(doc/m.py:1\) died: killed by SIGKILL"),
    ("interrupted", r"value m.interrupted \(doc/m.py:1\) raised KeyboardInterrupt"),
    ("exits", r"value m.exits \(doc/m.py:1\) called sys.exit\(3\)"),
])
def test_a_declaration_that_ends_its_process_is_an_error_naming_it(fake_producers, tmp_path, monkeypatch,
                                                                     jobs, name, message):
    monkeypatch.setenv("HW1_JOBS", jobs)
    with pytest.raises(BuildError, match=message):
        store.update([_decl("alone"), _decl(name)], Manifest(tmp_path / "manifest.json"),
                     report=lambda *a: None)


def test_environment_and_working_directory_do_not_leak(fake_producers, tmp_path, monkeypatch):
    """Into the build (another process) nor into a later declaration of the same worker."""
    seen = []

    def write(decl, inputs, temp):
        if decl.name == "m.later":
            seen.append((os.environ.get("HW1_TEST_LEAK"), os.getcwd()))
            (tmp_path / "later.txt").write_text(repr(seen[-1]))
        else:
            BEHAVIOUR[decl.name.partition(".")[2]]()
        temp.write_text(decl.name)

    monkeypatch.setattr(run, "write_output", write)
    cwd = os.getcwd()
    store.update([_decl("env"), _decl("chdir"), _decl("later", "env", "chdir")],
                 Manifest(tmp_path / "manifest.json"), report=lambda *a: None)
    assert os.environ.get("HW1_TEST_LEAK") is None and os.getcwd() == cwd
    assert (tmp_path / "later.txt").read_text() == repr((None, cwd))


def _alive(pattern: str) -> list[int]:
    """Processes of this user whose command line holds ``pattern`` (from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if pattern in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def test_what_a_declaration_starts_dies_with_the_build(fake_producers, tmp_path, monkeypatch):
    def write(decl, inputs, temp):
        subprocess.Popen(["sleep", "61.5"])       # a child the declaration forgets
        temp.write_text(decl.name)

    monkeypatch.setattr(run, "write_output", write)
    store.update([_decl("forks")], Manifest(tmp_path / "manifest.json"), report=lambda *a: None)
    deadline = time.monotonic() + 2
    while _alive("sleep 61.5") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive("sleep 61.5") == []


def test_a_declaration_past_its_time_limit_is_stopped_and_named(fake_producers, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DECLARATION_TIME_LIMIT", 1.0)
    monkeypatch.setattr(workers, "PROGRESS_FIRST", 0.3)
    said: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(BuildError, match=r"value m.forever \(doc/m.py:1\) was stopped after 1 s: its time "
                                         r"limit is 1 s \(declaration_time_limit in \[tool.hw1\]"):
        store.update([_decl("forever")], Manifest(tmp_path / "manifest.json"), report=lambda *a: None,
                     progress=said.append)
    assert time.monotonic() - t0 < 3
    assert len(said) == 1 and re.fullmatch(r"  still computing m\.forever \([01] s\)", said[0]), said


def test_a_manifest_naming_files_outside_the_output_folders_deletes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path / "proj")
    monkeypatch.setattr(paths, "BUILD", tmp_path / "proj" / "build")
    source, outside = tmp_path / "proj" / "doc" / "part.tex", tmp_path / "outside-victim.txt"
    made = tmp_path / "proj" / "build" / "generated" / "m-gone.tex"
    for path in (source, outside, made):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    entry = {"key": "k", "components": {}, "seconds": 0.1}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": store.FORMAT, "artifacts": {
        "m.evil": {**entry, "outputs": {"doc/part.tex": "h", "../outside-victim.txt": "h"}},
        "m.gone": {**entry, "outputs": {"build/generated/m-gone.tex": "h"}}}}))
    manifest = Manifest(path)
    assert set(manifest.artifacts) == {"m.gone"}          # the entry naming other files is dropped
    assert store.forget_removed(manifest, []) == ["m.gone"]
    assert source.read_text() == "keep" and outside.read_text() == "keep" and not made.exists()


def test_an_entry_that_names_other_outputs_than_its_own_is_not_reused(tmp_path):
    decl = Declaration("m.v", "value", "doc.m", "v", "doc/m.py", 1, (), False, "0")
    manifest = Manifest(tmp_path / "manifest.json")
    parts = {"code": "0"}
    manifest.artifacts["m.v"] = {"key": store.key_of(parts), "components": parts,
                                 "outputs": {"build/cache/manifest.json": "h"}}
    assert store.why_stale(decl, parts, manifest) == "its record names other outputs than its own"


def test_outputs_an_artifact_no_longer_has_are_removed_when_it_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    old = tmp_path / "build" / "generated" / "m-v.tex"
    old.parent.mkdir(parents=True)
    old.write_text("old place")
    decl = Declaration("m.v", "value", "doc.m", "v", "doc/m.py", 1, (), False, "0")
    manifest = Manifest(tmp_path / "manifest.json")
    manifest.artifacts["m.v"] = {"key": "k", "components": {}, "outputs": {"build/generated/m-v.tex": "h"}}
    store.record(manifest, decl, {"code": "0"}, {"outputs": {"build/generated/fragments/m-v.tex": "h"}})
    assert not old.exists()
