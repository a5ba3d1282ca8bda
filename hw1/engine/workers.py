"""Declarations run in worker processes, never in the build's own.

A worker is a process forked from the build (so it starts at once, with what the build has
imported), in a process group of its own, reading nothing from the terminal (its stdin is
/dev/null).  It receives jobs over a pipe (a function and its arguments), runs them one at a
time, and sends back what each returned or raised.  After each job it puts back the
environment variables and the working directory the job changed: a declaration changes
neither the build (another process) nor a later declaration.

The build's side, ``Pool``, waits for the results a fraction of a second at a time, so that:

- while a job runs long, it says so: ``still computing <name> (N s)``, after PROGRESS_FIRST
  seconds, then every PROGRESS_EVERY seconds;
- a job that runs longer than its time limit (``declaration_time_limit`` in ``[tool.hw1]``)
  is stopped (its worker's process group is killed), and fails with a message naming it;
- a worker that ends during a job (``os._exit``, a signal, the out-of-memory killer) fails
  that job with a message naming the declaration and how the process ended;
- when the pool closes, however the build ends (done, failed, Ctrl-C), the process group of
  every worker is killed: every process a declaration started (a fork, a subprocess) dies with
  the build, unless it left the group on purpose (``setsid``).

Ctrl-C (SIGINT to the terminal's foreground process group) reaches the build, not the workers
(their groups are not the terminal's): the build stops waiting at once and kills them.  A
SIGTERM to the build, while a pool is open, is handled as Ctrl-C is.  A
worker also dies when the build's process dies, however it dies (``die_with_parent``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

PROGRESS_FIRST = 5.0     # seconds: the first "still computing" line
PROGRESS_EVERY = 10.0    # seconds: the next ones
TICK = 0.25              # seconds between looks at the clock while waiting


class WorkerError(Exception):
    """A job did not return: its worker ended, or it ran out of time.  Names the job."""


def die_with_parent(parent: int) -> None:
    """In a child process: be killed when ``parent`` ends, however it ends (Linux's
    PR_SET_PDEATHSIG), so that no worker outlives a killed build and keeps its lock."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):   # not Linux: the worker ends when its pipe closes
        pass
    if os.getppid() != parent:          # the parent died before prctl took effect
        os._exit(1)


def put_back(env: dict[str, str], cwd: str) -> None:
    """Put back what a job changed of its process: the environment and the working directory
    (taken as ``dict(os.environ), os.getcwd()`` before it ran)."""
    if dict(os.environ) != env:
        os.environ.clear()
        os.environ.update(env)
    with contextlib.suppress(OSError):
        os.chdir(cwd)


def _serve(conn) -> None:
    """The worker's loop: run each job received, send back (True, result) or (False, exception)."""
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        env, cwd = dict(os.environ), os.getcwd()
        try:
            reply = (True, fn(*args))
        except BaseException as exc:   # noqa: BLE001 - every way a job ends is the build's to report
            reply = (False, exc)
        finally:
            put_back(env, cwd)
        try:
            conn.send(reply)
        except Exception as exc:   # noqa: BLE001 - a result or an exception that cannot be pickled
            value = reply[1]
            conn.send((False, RuntimeError(f"{type(value).__name__}: {value}" if not reply[0] else
                                           f"its result cannot be sent to the build: {exc}")))


class _Worker:
    """One worker process and the job it runs (None when idle)."""

    def __init__(self, close_fds: Iterable[int]):
        from multiprocessing.connection import Pipe

        parent = os.getpid()
        mine, theirs = Pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:   # the worker
            code = 1
            try:
                os.setpgid(0, 0)
                die_with_parent(parent)
                mine.close()
                for fd in close_fds:     # the build lock stays the build's alone
                    with contextlib.suppress(OSError):
                        os.close(fd)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.close(null)
                _serve(theirs)
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        with contextlib.suppress(OSError):   # also here: the group exists before any job is sent
            os.setpgid(pid, pid)
        self.pid, self.conn = pid, mine
        self.job: Any = None                 # the token of the job it runs
        self.name = self.label = ""
        self.started = self.note = 0.0
        self.ended = False

    def send(self, token, name: str, label: str, fn: Callable, args: tuple) -> None:
        self.job, self.name, self.label = token, name, label
        self.started = time.monotonic()
        self.note = self.started + PROGRESS_FIRST
        self.conn.send((fn, args))

    def kill(self) -> None:
        """Kill the worker's process group: the worker and whatever it started."""
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)

    def reap(self) -> int:
        """Kill, wait for the worker; its wait status."""
        self.kill()
        self.conn.close()
        self.ended = True
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return 0


def _how(status: int, label: str) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return (f"the worker process computing {label} died: killed by {name}"
                + (" (out of memory, or killed from outside?)" if sig == signal.SIGKILL else ""))
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return (f"the worker process computing {label} ended (exit code {code}) before it returned: "
            "did its code call os._exit()?  A declaration returns its result or raises an exception")


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt


class Pool:
    """Worker processes by lane (each runs one job at a time, the others wait in its queue).
    Use as a context manager: leaving it kills every worker and what they started."""

    def __init__(self, *, limit: float, limit_key: str, progress: Callable[[str], None] | None = None,
                 close_fds: Iterable[int] = ()):
        self.limit, self.limit_key, self.progress = limit, limit_key, progress
        self.close_fds = list(close_fds)
        self.workers: dict[int, _Worker] = {}
        self.queues: dict[int, deque] = {}

    def __enter__(self) -> Pool:
        # a SIGTERM (a CI job cancelled, `timeout`) ends the build as Ctrl-C does, through
        # close(): otherwise the process dies at once, and what its workers started lives on
        import threading

        self._term = None
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            self._term = signal.signal(signal.SIGTERM, _terminated)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.close()
        finally:
            if self._term is not None:
                signal.signal(signal.SIGTERM, self._term)

    def submit(self, lane: int, token, name: str, label: str, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` in lane ``lane``'s worker when it is free.  ``name`` is said in
        progress lines, ``label`` (kind, name, file:line) in errors; ``token`` comes back."""
        self.queues.setdefault(lane, deque()).append((token, name, label, fn, args))
        self._dispatch()

    def cancel(self) -> None:
        """Forget the jobs not started yet."""
        for queue in self.queues.values():
            queue.clear()

    @property
    def running(self) -> int:
        return sum(w.job is not None for w in self.workers.values()) + sum(map(len, self.queues.values()))

    def _dispatch(self) -> None:
        for lane, queue in self.queues.items():
            worker = self.workers.get(lane)
            if queue and (worker is None or worker.job is None):
                if worker is None:
                    worker = self.workers[lane] = _Worker(self.close_fds)
                worker.send(*queue.popleft())

    def wait(self) -> list[tuple[Any, bool, Any]]:
        """Wait until at least one job ends; (token, True, result) or (token, False, exception)
        for each that did.  An exception of the job's own is returned as it was raised."""
        from multiprocessing.connection import wait as ready_of

        while True:
            busy = [w for w in self.workers.values() if w.job is not None]
            if not busy:
                return []
            ready = ready_of([w.conn for w in busy], timeout=TICK)
            done: list[tuple[Any, bool, Any]] = []
            now = time.monotonic()
            for lane, w in list(self.workers.items()):
                if w.job is None:
                    continue
                if w.conn in ready:
                    try:
                        ok, value = w.conn.recv()
                    except (EOFError, OSError):
                        ok, value = False, WorkerError(_how(w.reap(), w.label))
                    done.append((w.job, ok, value))
                elif now - w.started > self.limit:
                    w.reap()
                    done.append((w.job, False, WorkerError(
                        f"{w.label} was stopped after {now - w.started:.0f} s: its time limit is "
                        f"{self.limit:g} s ({self.limit_key} in [tool.hw1] of pyproject.toml)")))
                elif now >= w.note:
                    if self.progress is not None:
                        self.progress(f"  still computing {w.name} ({now - w.started:.0f} s)")
                    w.note += PROGRESS_EVERY
                    continue
                else:
                    continue
                w.job = None
                if w.ended:
                    del self.workers[lane]
            if done:
                self._dispatch()
                return done

    def close(self) -> None:
        """Kill every worker and everything it started; forget the jobs not started."""
        self.cancel()
        for w in self.workers.values():
            w.reap()
        self.workers.clear()
