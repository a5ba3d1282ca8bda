"""`invoke watch`'s loop and warm-up, without TeX: a save during the first build is rebuilt
after it, and the warm-up leaves no setting behind that a cold build would not have."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from hw1 import paths
from hw1.engine import watch


def test_a_save_during_the_warm_up_and_first_build_is_rebuilt_after_them(tmp_path, monkeypatch):
    (tmp_path / "doc").mkdir()
    (tmp_path / "hw1").mkdir()
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "DOC", tmp_path / "doc")
    monkeypatch.setattr(paths, "PACKAGE", tmp_path / "hw1")
    monkeypatch.setattr(watch, "warm_up", lambda: [])
    monkeypatch.setattr(watch, "_stop_next", lambda: None)
    stop, calls = threading.Event(), []

    def rebuild(changed, echo):
        calls.append(list(changed))
        if not changed:       # the first build: the author saves meanwhile
            (tmp_path / "doc" / "part.tex").write_text("saved during the first build\n")
        else:
            stop.set()

    monkeypatch.setattr(watch, "rebuild", rebuild)
    guard = threading.Timer(20.0, stop.set)      # a hang guard, not a speed limit
    guard.start()
    try:
        watch.watch(echo=lambda line: None, stop=stop)
    finally:
        guard.cancel()
    assert calls == [[], ["doc/part.tex"]]


def test_the_warm_up_puts_back_the_settings_a_figure_function_changes(monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    from hw1.engine import discover, run, store

    def leaky():
        plt.rcParams["axes.grid"] = True        # a global setting, changed by the author's code
        np.set_printoptions(precision=3)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return fig

    decl = SimpleNamespace(kind="figure", wrong=False, name="m.leaky")
    monkeypatch.setattr(discover, "declarations", lambda: [decl])
    monkeypatch.setattr(run, "load", lambda d: (leaky, None))
    monkeypatch.setattr(store, "cached_inputs", lambda d: {})
    grid, precision = matplotlib.rcParams["axes.grid"], np.get_printoptions()["precision"]
    assert watch._warm_figures() == 1
    assert matplotlib.rcParams["axes.grid"] == grid
    assert np.get_printoptions()["precision"] == precision


def test_the_warm_up_survives_a_figure_that_exits_loops_or_changes_the_process(monkeypatch, tmp_path):
    """The warm-up draws in the watcher itself: a figure that exits or loops is skipped (the
    build's worker reports it), and what one changes of the process is put back."""
    import os
    import sys
    import time

    import matplotlib.pyplot as plt

    from hw1.engine import discover, run, store

    def exits():
        sys.exit(0)

    def loops():
        while True:
            time.sleep(0.01)

    def moves():
        os.environ["HW1_TEST_WARM"] = "leaked"
        os.chdir(tmp_path)
        return plt.subplots()[0]

    functions = {"m.exits": exits, "m.loops": loops, "m.moves": moves}
    decls = [SimpleNamespace(kind="figure", wrong=False, name=name) for name in functions]
    monkeypatch.setattr(discover, "declarations", lambda: decls)
    monkeypatch.setattr(run, "load", lambda d: (functions[d.name], None))
    monkeypatch.setattr(store, "cached_inputs", lambda d: {})
    monkeypatch.setattr(watch, "WARM_LIMIT", 0.5)
    cwd = os.getcwd()
    t0 = time.monotonic()
    assert watch._warm_figures() == 1
    assert time.monotonic() - t0 < 5
    assert "HW1_TEST_WARM" not in os.environ and os.getcwd() == cwd


@pytest.fixture(autouse=True)
def _no_open_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
