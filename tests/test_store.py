"""Fast tests for hw1.engine.store's scheduling and for how it runs a producer (the build-level
promises are in test_engine.py)."""

from __future__ import annotations

import gc

import pytest

from hw1 import paths
from hw1.engine import store
from hw1.engine.store import Artifact, BuildError, Manifest


@pytest.fixture
def fake_producers(tmp_path, monkeypatch):
    """Artifacts whose producers are plain functions here, writing under tmp_path."""
    calls: list[tuple[str, bool]] = []   # (artifact, was the collector running?)
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setenv("HW1_JOBS", "1")

    def producer_for(artifact: Artifact):
        def run(ctx):
            calls.append((artifact.name, gc.isenabled()))
            if artifact.name == "broken":
                raise RuntimeError("boom")
            for rel in artifact.outputs:
                ctx.out(rel).write_text(artifact.name)
        return run

    monkeypatch.setattr(store, "_producer", producer_for)
    monkeypatch.setattr(store, "components", lambda a, m: {
        "producer": a.producer, "params": a.params, "sources": {}, "libraries": {},
        "inputs": {name: m.artifacts.get(name, {}).get("outputs", {}) for name in a.inputs}})
    return calls


def _artifact(name: str, *inputs: str) -> Artifact:
    return Artifact(name, f"fake:{name}", outputs=(f"out/{name}.txt",), inputs=inputs)


def test_what_others_read_is_computed_first(fake_producers, tmp_path):
    artifacts = [_artifact("alone"), _artifact("read"), _artifact("reader", "read")]
    rebuilt = store.update(artifacts, Manifest(tmp_path / "manifest.json"), report=lambda *a: None)
    assert rebuilt == 3
    assert [name for name, _ in fake_producers] == ["read", "alone", "reader"]
    assert (tmp_path / "out" / "reader.txt").read_text() == "reader"


def test_producer_runs_with_the_collector_paused_and_it_is_restored(fake_producers):
    assert gc.isenabled()
    store.produce(_artifact("a"))
    assert fake_producers == [("a", False)]
    assert gc.isenabled()


def test_collector_is_restored_after_a_failing_producer(fake_producers):
    with pytest.raises(BuildError, match=r"computing broken \(fake:broken\) failed.*RuntimeError: boom"):
        store.produce(_artifact("broken"))
    assert gc.isenabled()


def test_a_paused_collector_stays_paused(fake_producers):
    gc.disable()
    try:
        store.produce(_artifact("a"))
        assert not gc.isenabled()
    finally:
        gc.enable()
