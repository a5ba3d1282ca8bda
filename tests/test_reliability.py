"""The build under abuse: a killed build leaves no process and no lock behind, a full or
read-only disk fails in one line and heals, damaged state under build/ is rebuilt, a worker
that dies is named.  On the fixture document; slow."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EPOCH, edit, invoke, line_of, session_processes

pytestmark = pytest.mark.slow


def test_a_killed_build_leaves_no_process_and_the_next_build_succeeds(fixture_copy):
    edit(fixture_copy / "doc" / "mini.py", "def samples(n):\n", "def samples(n):\n    import time\n\n"
                                                              "    time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "build-pdf"], cwd=fixture_copy,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    for line in proc.stdout:
        if "building mini.samples" in line:
            break
    time.sleep(1.0)                                  # the workers are computing
    assert len(session_processes(proc.pid)) >= 2    # the build and its worker(s)
    proc.kill()                                      # kill -9 of the build's main process
    proc.wait()
    proc.stdout.close()
    deadline = time.monotonic() + 2.0
    while session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session_processes(proc.pid) == []
    edit(fixture_copy / "doc" / "mini.py", "    time.sleep(30)\n", "")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"note: the previous build (pid {proc.pid}," in out.stdout and "did not end cleanly" in out.stdout


def test_a_lock_held_by_the_leftovers_of_a_dead_build_is_taken_over(fixture_copy):
    lock = fixture_copy / "build" / ".lock"
    # a process that holds the lock open, as a worker of a killed build would; its "build" pid is dead
    holder = subprocess.Popen([sys.executable, "-c", f"import fcntl, time\nh = open({str(lock)!r}, 'a+')\n"
                               "fcntl.flock(h, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, cwd=fixture_copy)
    assert holder.stdout.readline().strip() == "locked"
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.write_text(f"pid {dead.pid}, started 12:00:00")
    try:
        out = invoke(fixture_copy, "build-pdf")
    finally:
        holder.kill()
        holder.stdout.close()
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"the build that held the lock (pid {dead.pid}, started 12:00:00) is gone" in out.stdout
    assert holder.wait(timeout=5) == -signal.SIGKILL


def test_a_worker_that_dies_is_named(fixture_copy):
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "    fig, ax = plt.subplots",
         "    import os, signal\n\n    os.kill(os.getpid(), signal.SIGKILL)\n    fig, ax = plt.subplots")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert (f"the worker process computing figure mini.curve (doc/mini.py:{line_of(module, 'def curve')}) "
            "died") in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) <= 3


def test_a_truncated_aux_file_is_rebuilt(fixture_copy):
    aux = fixture_copy / "build" / "tex" / "main.aux"
    aux.write_text(aux.read_text()[: len(aux.read_text()) // 2])
    edit(fixture_copy / "doc" / "part.tex", "The slope", "Now the slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert invoke(fixture_copy, "build-pdf").returncode == 0


def test_an_imports_cache_edited_to_wrong_dependencies_is_not_trusted(fixture_copy):
    cache = fixture_copy / "build" / "cache" / "imports.json"
    saved = json.loads(cache.read_text())
    for key, entry in saved["entries"].items():
        if key.startswith("doc.mini "):
            entry[0] = json.dumps([[], []])                # "mini imports nothing"
    cache.write_text(json.dumps(saved))
    with open(fixture_copy / "hw1" / "engine" / "declare.py", "a") as f:   # mini imports it
        f.write("\n# an edit\n")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 rebuilt" in out.stdout


@contextlib.contextmanager
def tmpfs(where: Path, options: str):
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _can_mount() -> bool:
    """Whether this process may mount a tmpfs (root, and a container that allows it)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    import tempfile

    with tempfile.TemporaryDirectory() as where:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", where],
                            capture_output=True, check=False).returncode == 0
        if ok:
            subprocess.run(["umount", where], check=False)
    return ok


needs_mount = pytest.mark.skipif(not _can_mount(), reason="mounts a small tmpfs over build/: needs root "
                                                           "in a container that allows mounts")


@needs_mount
def test_a_full_disk_fails_in_one_line_leaves_no_temporary_file_and_heals(fixture_copy, tmp_path):
    saved = tmp_path / "saved-build"
    shutil.copytree(fixture_copy / "build", saved)
    shutil.rmtree(fixture_copy / "build")
    with tmpfs(fixture_copy / "build", "size=64m") as build:
        shutil.copytree(saved, build, dirs_exist_ok=True)
        pdf = (build / "main.pdf").read_bytes()
        filler = build / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=1000000"],
                       capture_output=True, check=False)             # fills the disk
        edit(fixture_copy / "doc" / "mini.py", "@experiment(n=5)", "@experiment(n=6)")
        out = invoke(fixture_copy, "build-pdf")
        assert out.returncode != 0
        message = out.stderr.strip().splitlines()
        assert message[0].startswith("build-pdf failed: no space left on the disk that holds build/"), message
        assert len(message) <= 2, message
        assert not list(fixture_copy.rglob(".*.tmp-*"))
        assert (build / "main.pdf").read_bytes() == pdf
        filler.unlink()
        out = invoke(fixture_copy, "build-pdf")
        assert out.returncode == 0, out.stdout + out.stderr
        assert (build / "main.pdf").read_bytes() != pdf


@needs_mount
def test_a_read_only_build_folder_is_one_clear_line(fixture_copy, tmp_path):
    shutil.rmtree(fixture_copy / "build")
    with tmpfs(fixture_copy / "build", "ro,size=1m"):
        out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert message[0].startswith("build-pdf failed: cannot write build/.lock: Read-only file system"), message
    assert "Traceback" not in out.stderr
