"""A build never waits silently, never hangs, and leaves nothing running: a declaration that
loops is said to be computing, then stopped at its time limit; a TeX pass that loops is
stopped at its own, naming the line TeX was reading; Ctrl-C stops any build at once; a
declaration that ends its process is an error naming it.  On the fixture document, with tiny
limits in its pyproject.toml; slow."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EPOCH, edit, invoke, line_of, session_processes

pytestmark = pytest.mark.slow

LOOP = "def slope_at_one():\n    while True:\n        pass\n"


def limits(project: Path, *, declaration: float = 1800, tex: float = 600) -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.hw1]\nmain = "doc/main.tex"\ndeclaration_time_limit = {declaration}\n'
        f"tex_time_limit = {tex}\n", encoding="utf-8")


def start(project: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """``invoke <args>`` in a session of its own (so that what it leaves running can be found)."""
    return subprocess.Popen([sys.executable, "-m", "invoke", *args], cwd=project,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def gone(sid: int, within: float = 2.0) -> list[str]:
    deadline = time.monotonic() + within
    while session_processes(sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return session_processes(sid)


def test_a_declaration_that_loops_is_said_then_stopped_at_its_limit(fixture_copy):
    limits(fixture_copy, declaration=7)
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "def slope_at_one():\n", LOOP)
    t0 = time.monotonic()
    proc = start(fixture_copy, "build-pdf")
    lines = []
    for line in proc.stdout:
        lines.append((time.monotonic() - t0, line.rstrip("\n")))
    proc.wait()
    proc.stdout.close()
    said = {text: at for at, text in lines}
    assert proc.returncode == 1, lines
    assert said.get("  still computing mini.slope_at_one (5 s)", 99) < 15, lines
    assert (f"build-pdf failed: value mini.slope_at_one (doc/mini.py:{line_of(module, 'def slope_at_one')}) "
            "was stopped after 7 s: its time limit is 7 s (declaration_time_limit in [tool.hw1] of "
            "pyproject.toml)") in said, lines
    assert not any(text.startswith("pdf:") for text in said)
    assert gone(proc.pid) == []
    # the loop gone, the next build simply works
    edit(module, LOOP, "def slope_at_one():\n")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0 and "pdf: build/main.pdf" in out.stdout, out.stdout + out.stderr


def test_a_tex_pass_that_loops_is_stopped_at_its_limit_naming_the_line(fixture_copy):
    limits(fixture_copy, tex=3)
    part = fixture_copy / "doc" / "part.tex"
    edit(part, r"\claim{mini.derivative}", "\\renewcommand{\\emph}[1]{\\emph{#1}}\nA \\emph{loop}.\n"
                                           r"\claim{mini.derivative}")
    proc = start(fixture_copy, "build-pdf")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    line = line_of(part, r"A \emph{loop}")
    assert ("build-pdf failed: pdflatex pass 1 on doc/main.tex was stopped after 3 s: its time limit is 3 s "
            "(tex_time_limit in [tool.hw1] of pyproject.toml); it may loop forever") in out, out
    where = f"doc/part.tex:{line}: TeX was reading this line when it was stopped"
    assert f"{where}\n  {line} | A \\emph{{loop}}." in out, out
    assert gone(proc.pid) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_a_build_at_once_and_leaves_nothing_running(fixture_copy, jobs):
    edit(fixture_copy / "doc" / "mini.py", "def slope_at_one():\n", LOOP)
    proc = start(fixture_copy, "build-pdf", env={"HW1_JOBS": jobs})
    for line in proc.stdout:
        if "building mini.slope_at_one" in line:
            break
    time.sleep(1.0)                               # the worker is looping
    os.killpg(proc.pid, signal.SIGINT)            # Ctrl-C: SIGINT to the terminal's process group
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 2.5, out
    assert proc.returncode == 130, out
    assert "build-pdf: interrupted; nothing it started is left running" in out
    assert gone(proc.pid) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_declaration_that_exits_its_process_fails_the_build_naming_it(fixture_copy, jobs):
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "def slope_at_one():\n", "def slope_at_one():\n    import os\n\n    os._exit(0)\n")
    out = invoke(fixture_copy, "build-pdf", env={"HW1_JOBS": jobs})
    assert out.returncode == 1
    assert (f"the worker process computing value mini.slope_at_one (doc/mini.py:"
            f"{line_of(module, 'def slope_at_one')}) ended (exit code 0) before it returned") in out.stderr
    assert "pdf:" not in out.stdout


def test_what_a_declaration_forks_and_what_it_sets_stay_in_its_worker(fixture_copy):
    """A child forked by a declaration dies with the build (a reader of the build's output is
    not kept waiting); the environment a declaration sets does not reach the PDF."""
    edit(fixture_copy / "doc" / "mini.py", "def slope_at_one():\n",
         "def slope_at_one():\n    import os, time\n\n    os.environ['SOURCE_DATE_EPOCH'] = '86400'\n"
         "    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\n")
    edit(fixture_copy / "doc" / "part.tex", "The slope", "So the slope")   # a TeX pass, after it
    proc = start(fixture_copy, "build-pdf", env={"HW1_JOBS": "1"})
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=60)        # stdout closes only when no process holds it
    assert proc.returncode == 0, out
    assert time.monotonic() - t0 < 30
    assert gone(proc.pid) == []
    info = subprocess.run(["pdfinfo", str(fixture_copy / "build" / "main.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert "2023" in next(line for line in info.splitlines() if line.startswith("CreationDate:")), info


def test_check_and_watch_say_a_long_declaration_as_it_runs_and_stop_it(fixture_copy):
    limits(fixture_copy, declaration=6)
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "def slope_at_one():\n", LOOP)
    stopped = (f"value mini.slope_at_one (doc/mini.py:{line_of(module, 'def slope_at_one')}) was stopped "
               "after 6 s: its time limit is 6 s")
    check = invoke(fixture_copy, "check")
    assert check.returncode == 1
    assert "  still computing mini.slope_at_one (5 s)" in check.stdout.splitlines(), check.stdout
    assert f"error: {stopped}" in check.stdout
    watcher = start(fixture_copy, "watch")
    lines = []
    for line in watcher.stdout:              # the progress line comes while the build runs
        lines.append(line.rstrip("\n"))
        if "was stopped after" in line:
            break
    os.killpg(watcher.pid, signal.SIGINT)
    rest, _ = watcher.communicate(timeout=30)
    lines += rest.splitlines()
    progress = lines.index("  still computing mini.slope_at_one (5 s)")
    failed = next(k for k, line in enumerate(lines) if "build failed" in line)
    assert progress < failed and f"  {stopped}" in lines[failed + 1], lines
    assert gone(watcher.pid) == []


def test_sigterm_to_the_build_alone_stops_it_and_what_its_declarations_started(fixture_copy):
    """A CI job cancelled, or `timeout`: SIGTERM reaches only the build's own process."""
    edit(fixture_copy / "doc" / "mini.py", "def slope_at_one():\n",
         "def slope_at_one():\n    import subprocess\n\n    subprocess.Popen(['sleep', '60'])\n"
         "    while True:\n        pass\n")
    proc = start(fixture_copy, "build-pdf")
    for line in proc.stdout:
        if "building mini.slope_at_one" in line:
            break
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert "build-pdf: interrupted; nothing it started is left running" in out
    assert gone(proc.pid) == []
