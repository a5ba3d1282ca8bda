"""`invoke watch`: rebuilds on save from a warm process, one line per rebuild, survives errors,
and makes exactly the PDF a cold `invoke build-pdf` of the same tree makes.  Slow."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import EPOCH, edit, invoke, make_fixture, session_processes

pytestmark = pytest.mark.slow


class Watcher:
    """`invoke watch` in a project, its output lines read as they come."""

    def __init__(self, project):
        self.proc = subprocess.Popen([sys.executable, "-m", "invoke", "watch"], cwd=project,
                                     env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_rebuild(self, timeout: float = 120.0) -> list[str]:
        """The next rebuild's line (and the lines of its error, if it failed)."""
        deadline, got = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if got:
                    return got
                continue
            if line.startswith("[") and got:
                self.lines.queue.appendleft(line)
                return got
            if line.startswith("[") or got:
                got.append(line)
        raise AssertionError(f"no rebuild within {timeout} s; got {got}")

    def stop(self) -> str:
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout=30)
        return self.stop_reading()

    def stop_reading(self) -> str:
        """Once the watcher has ended: the lines it printed that were not read yet."""
        time.sleep(0.2)                       # the reader thread takes the last lines
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        self.proc.stdout.close()
        return "\n".join(rest)


def test_watch_rebuilds_what_changed_and_matches_a_cold_build(built_fixture, tmp_path):
    from conftest import copy_built

    project = copy_built(built_fixture, tmp_path / "watched")
    watcher = Watcher(project)
    try:
        first = watcher.next_rebuild()
        assert "start: 0 rebuilt, no TeX pass; build/main.pdf unchanged in" in first[0], first

        wait_for_spare(watcher.proc.pid)
        edit(project / "doc" / "part.tex", "The slope", "Then the slope")
        prose = watcher.next_rebuild()
        assert ("doc/part.tex: 0 rebuilt, 1 TeX pass (the first started ahead); build/main.pdf updated in"
                in prose[0]), prose

        # the same file again: this pass typeset the document ahead, up to part.tex, and waited there
        wait_for_spare(watcher.proc.pid)
        time.sleep(1.0)
        edit(project / "doc" / "part.tex", "Then the slope", "Now the slope")
        prose = watcher.next_rebuild()
        assert ("doc/part.tex: 0 rebuilt, 1 TeX pass (typeset ahead up to doc/part.tex); "
                "build/main.pdf updated in" in prose[0]), prose
        after_prose = (project / "build" / "main.pdf").read_bytes()

        edit(project / "doc" / "mini.py", "ax.plot(samples", "ax.semilogy(samples")
        figure = watcher.next_rebuild()
        # ... and the figure, in part.tex, is drawn while TeX typesets up to it
        assert "doc/mini.py: 1 rebuilt, 1 TeX pass (typeset ahead up to doc/part.tex); build/main.pdf " \
            "updated in" in figure[0], figure
        after_figure = (project / "build" / "main.pdf").read_bytes()   # TeX went while it was drawn

        edit(project / "doc" / "part.tex", "Now the slope", "Now the slope \\undefinedmacro")
        failed = watcher.next_rebuild()
        assert "doc/part.tex: build failed in" in failed[0], failed
        assert any("doc/part.tex:1: Undefined control sequence." in line for line in failed), failed

        edit(project / "doc" / "part.tex", " \\undefinedmacro", "")
        healed = watcher.next_rebuild()
        # the failed pass left the auxiliary files as they were: the fix costs one pass
        assert "doc/part.tex: 0 rebuilt, 1 TeX pass" in healed[0], healed

        # an edit to hw1 itself: the rebuild imports the new code (the mark of an exact claim)
        edit(project / "hw1" / "engine" / "fragments.py", 'return r"\\verifiedexact"',
             'return r"\\verifiedexact{} (exactly)"')
        library = watcher.next_rebuild()
        assert re.search(r"hw1/engine/fragments.py: [1-9]\d* rebuilt, 1 TeX pass; ", library[0]), library
    finally:
        stopped = watcher.stop()
    assert "watch: stopped" in stopped
    deadline = time.monotonic() + 2.0                 # its children and pdflatex end with it
    while session_processes(watcher.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(watcher.proc.pid) == []

    # the same trees, built cold: the same bytes
    cold = make_fixture(tmp_path / "cold")
    edit(cold / "doc" / "part.tex", "The slope", "Now the slope")
    out = invoke(cold, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert (cold / "build" / "main.pdf").read_bytes() == after_prose
    edit(cold / "doc" / "mini.py", "ax.plot(samples", "ax.semilogy(samples")
    out = invoke(cold, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert (cold / "build" / "main.pdf").read_bytes() == after_figure
    edit(cold / "hw1" / "engine" / "fragments.py", 'return r"\\verifiedexact"',
         'return r"\\verifiedexact{} (exactly)"')
    out = invoke(cold, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert (cold / "build" / "main.pdf").read_bytes() == (project / "build" / "main.pdf").read_bytes()
    assert (project / "build" / "main.synctex.gz").is_file()
    assert "(exactly)" in subprocess.run(["pdftotext", str(cold / "build" / "main.pdf"), "-"],
                                         capture_output=True, text=True, check=True).stdout


def wait_for_spare(sid: int) -> None:
    """Wait until the watcher's next child has started its pdflatex pass ahead of time."""
    deadline = time.monotonic() + 30
    while not any(" pdflatex" in p for p in session_processes(sid)):
        assert time.monotonic() < deadline, session_processes(sid)
        time.sleep(0.05)


def test_a_killed_watcher_leaves_no_process(built_fixture, tmp_path):
    from conftest import copy_built

    watcher = Watcher(copy_built(built_fixture, tmp_path / "watched"))
    try:
        watcher.next_rebuild()
        wait_for_spare(watcher.proc.pid)
    finally:
        watcher.proc.kill()                            # kill -9: no handler runs
        watcher.proc.wait()
        watcher.proc.stdout.close()
    deadline = time.monotonic() + 2.0
    while session_processes(watcher.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(watcher.proc.pid) == []



@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_watcher_says_so_and_leaves_no_process_nor_folder(built_fixture, tmp_path, sig):
    from conftest import copy_built

    project = copy_built(built_fixture, tmp_path / "watched")
    watcher = Watcher(project)
    watcher.next_rebuild()
    wait_for_spare(watcher.proc.pid)
    assert list((project / "build" / "tex").glob("spare-*"))     # the pass started ahead has one
    os.killpg(watcher.proc.pid, sig)
    watcher.proc.wait(timeout=30)
    rest = watcher.stop_reading()
    assert "watch: stopped" in rest, rest
    deadline = time.monotonic() + 2.0
    while session_processes(watcher.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(watcher.proc.pid) == []
    assert list((project / "build" / "tex").glob("spare-*")) == []


def test_a_rebuild_goes_on_when_the_child_forked_ahead_was_killed(built_fixture, tmp_path):
    from conftest import copy_built

    project = copy_built(built_fixture, tmp_path / "watched")
    watcher = Watcher(project)
    try:
        watcher.next_rebuild()
        wait_for_spare(watcher.proc.pid)
        waiting = [int(line.split()[0]) for line in session_processes(watcher.proc.pid)
                   if int(line.split()[0]) != watcher.proc.pid and "python" in line]
        assert len(waiting) == 1, session_processes(watcher.proc.pid)
        os.kill(waiting[0], signal.SIGKILL)
        time.sleep(0.5)
        edit(project / "doc" / "part.tex", "The slope", "Now the slope")
        rebuilt = watcher.next_rebuild()
        assert "doc/part.tex: 0 rebuilt, 1 TeX pass" in rebuilt[0], rebuilt
    finally:
        watcher.stop()
