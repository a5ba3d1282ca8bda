r"""The TeX pass started ahead of time, for ``invoke watch``: a saved edit pays for the build
and the rest of a pdflatex pass, not for starting TeX and loading the preamble.

The protocol, between the watcher's child that will run the next rebuild (``watch``), this
pass, the build (``build``) and the TeX side (``\hwawait``, ``\hwpauseat`` in
``tex/verified.sty``):

1. **Started.** As soon as the previous rebuild ends, the child starts pdflatex with the
   precompiled preamble (``PassAhead(env, fmt)``), in a folder of its own
   (``build/tex/spare-<pid>/``).  Its first line makes it wait, before it reads a single file of
   the document, on a named pipe (``go``) there: it reads one line from it with ``\read`` and
   runs that line.
2. **Typeset ahead.** Given ``pause`` (the ``.tex`` file the author saved last), it instead
   typesets at once, on a copy of the auxiliary files, up to that file, and waits on the pipe
   just before reading it (a LaTeX ``file/before`` hook): the next edit is most likely there
   again.  It records the files it read before the pause, by content.
3. **Told to go** (``start``): only for the very pass the build would run (same command,
   environment and format) and, if it typeset ahead, only if the auxiliary files and every file
   it read are unchanged, and no figure still to be drawn is among them.  Otherwise it is
   stopped and the build runs the pass as usual, so the PDF is the same byte for byte.
4. **Figures.** The build may tell it to go before the figures it redraws are in place
   (``build``'s ``_start_tex_early``): the line it is sent then names, for each, a pipe at
   which ``\fig`` waits (``\hwawait``) until ``release`` writes a line there, so TeX typesets
   what comes before a figure while the figure is drawn, and reads only finished files.
5. **Used** (``run``): the build's first pass is this one; what it wrote is moved into the
   build's TeX folder.  It is used once; ``stop`` ends one that was not used.

The build gets it as an argument (``build_pdf(ahead=...)``, then ``latex.compile_pdf``); no
module holds it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from hw1.engine import paths
from hw1.engine.latex import AUX, _aux_state, _finish, _pass_env, _tex_child, command, read_files


class PassAhead:
    r"""A pdflatex pass started ahead of time, for ``invoke watch``: it loads the precompiled
    preamble, then waits, before it reads a single file of the document, until it is told to go
    (a line written to a named pipe, which it reads with \read and runs); or, given ``pause``
    (the file the author edited last), it typesets the document at once up to that file and
    waits just before reading it, going on only if what it read is still as it was.  Told to
    go, it runs exactly the pass ``command`` describes, in a folder of its own
    (build/tex/spare-<pid>/) that holds a copy of the auxiliary files; what it writes is then
    moved to the build's output folder.  It is used only for a pass with the very command,
    environment and format it was started with; otherwise it is stopped and the pass runs as
    usual.

    The build may tell it to go before its figures are drawn (``start``): the pass then waits
    at each of those figures (``\fig``, on a named pipe of its own) until the build says the
    figure is in place (``release``), so that TeX typesets what comes before a figure while the
    figure is drawn, and reads only finished files."""

    def __init__(self, env: dict[str, str], fmt: Path, pause: str | None = None):

        for old in paths.TEX_OUT.glob("spare-*"):     # left by a watcher that was killed
            pid = old.name.partition("-")[2]
            if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
                shutil.rmtree(old, ignore_errors=True)
        self.dir = paths.ahead_dir(os.getpid())      # its own, by the process starting it
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.fifo = self.dir / "go"
        os.mkfifo(self.fifo)
        self.fmt, self.key = fmt, self._key(env, fmt, paths.TEX_OUT)
        self.pause, self.read = self._ahead(pause)
        if self.pause is not None:   # it reads the auxiliary files at once: as they are now
            self.aux = _aux_state(paths.TEX_OUT)
            for ext, data in self.aux.items():
                paths.tex_file(ext, self.dir).write_bytes(data)
            wait = r"\hwpauseat{%s}{%s}" % (Path(self.pause).name, paths.rel(self.fifo))
        else:
            wait = r"\openin15=%s \read15 to\hwsparego \closein15 \hwsparego" % paths.rel(self.fifo)
        cmd = command(fmt, self.dir, before=wait + " ")
        self.cmd, self.used, self.started, parent = cmd, False, False, os.getpid()
        self.waiting: dict[str, Path] = {}    # figure name -> the pipe the pass waits on there
        self.held: list[int] = []             # pipes written to, open until the pass ends
        self.proc = subprocess.Popen(cmd, cwd=paths.ROOT, env=_pass_env(env, fmt), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     errors="replace", preexec_fn=lambda: _tex_child(parent))  # noqa: PLW1509

    @staticmethod
    def _key(env: dict[str, str], fmt: Path | None, outdir: Path) -> tuple:
        try:
            st = fmt.stat() if fmt is not None else None
        except OSError:
            st = None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size) if st else None
        return tuple(command(fmt, outdir)), tuple(sorted(_pass_env(env, fmt).items())), stamp

    @staticmethod
    def _ahead(pause: str | None) -> tuple[str | None, dict[str, str]]:
        """Whether the pass may typeset ahead up to ``pause`` (the file the author edited last),
        and the files it reads before it: those the last pass opened before ``pause`` (the same
        ones, as long as they are the same), hashed now.  Only if that pass read ``pause`` and
        no other file of the same name (TeX knows it by its name)."""
        from hw1.engine import deps

        read = read_files(in_order=True) if pause and pause != paths.rel(paths.MAIN_TEX) else []
        if pause not in read or [Path(r).name for r in read].count(Path(pause).name) != 1:
            return None, {}       # (the main file is read from the start, not through \input)
        return pause, {rel: deps.sha256_file(paths.ROOT / rel) for rel in read[:read.index(pause)]}

    def still_reads(self, changed: Iterable[str]) -> bool:
        """Whether the TeX files among ``changed`` are all files the last pass read: a new one
        may be one that the pass typesetting ahead found missing (\\InputIfFileExists)."""
        if self.pause is None:
            return True
        known = set(read_files())
        return all(rel in known for rel in changed if rel.endswith((".tex", ".sty", ".cls", ".bib")))

    def _still_ahead(self, figures: Mapping[str, str]) -> bool:
        """Whether what the pass typeset ahead still holds: the auxiliary files and the files it
        read are as they were, and no figure still to be drawn is among those (the figures
        after the pause it waits for, like any pass told to go before they are drawn)."""
        from hw1.engine import deps

        if _aux_state(paths.TEX_OUT) != self.aux or any(rel in self.read for rel in figures.values()):
            return False
        return all(deps.sha256_file(paths.ROOT / rel) == digest for rel, digest in self.read.items())

    def start(self, env: dict[str, str], fmt: Path | None, outdir: Path,
              figures: Mapping[str, str] | None = None) -> bool:
        """Tell the pass to go now, if it is the pass ``command(fmt, outdir)`` with ``env``; it
        will wait at each figure of ``figures`` (name -> file) until ``release``.  False, and
        stopped, if it is another pass or cannot go.  A pass that typeset ahead goes on only if
        what it read is as it was, and may have to be waited for to get there."""
        figures = dict(figures or {})
        if self.started:
            return self._key(env, fmt, outdir) == self.key
        if self.proc.poll() is not None or self._key(env, fmt, outdir) != self.key or \
                (self.pause is not None and (outdir != paths.TEX_OUT or not self._still_ahead(figures))):
            self.stop()
            return False
        if self.pause is None:
            for ext in AUX:               # the auxiliary files the pass reads back
                src, dst = paths.tex_file(ext, outdir), paths.tex_file(ext, self.dir)
                if src.is_file():
                    shutil.copyfile(src, dst)
        for k, name in enumerate(figures, 1):
            self.waiting[name] = self.dir / f"wait-{k}"
            os.mkfifo(self.waiting[name])
        orders = "".join(r"\hwawait{%s}{%s}" % (paths.rel(f), n) for n, f in self.waiting.items())
        # loading the preamble takes a moment; typesetting ahead up to the pause, as long as it takes
        if not self._go(self.fifo, f"{orders}\\relax\n", deadline=10.0 if self.pause is None else None):
            self.stop()
            return False
        self.started = True
        return True

    def release(self, name: str) -> None:
        """The figure ``name`` is in place: the pass may read it (now, or when it gets there)."""
        fifo = self.waiting.pop(name, None)
        if fifo is not None:   # the line waits in the pipe, held open here, until pdflatex reads it
            fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
            os.write(fd, b"go\n")
            self.held.append(fd)

    def _close_held(self) -> None:
        for fd in self.held:
            os.close(fd)
        self.held.clear()

    def run(self, env: dict[str, str], fmt: Path | None, outdir: Path, label: str = "",
            progress=None) -> subprocess.CompletedProcess | None:
        """The pass, by this pdflatex, if it is the pass it was started for; else None."""
        if not self.start(env, fmt, outdir):
            self.stop()
            return None
        for name in list(self.waiting):   # the build ended: every figure it drew is in place
            self.release(name)
        try:
            done = _finish(self.proc, label, progress)
        except BaseException:
            self._close_held()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self._close_held()
        for made in self.dir.iterdir():
            if made.name.startswith(f"{paths.JOB}."):
                os.replace(made, outdir / made.name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.used = True
        return done

    def _go(self, fifo: Path, line: str, deadline: float | None = None) -> bool:
        """Write ``line`` to the pipe ``fifo`` once pdflatex reads it (it may still be loading,
        or typesetting what comes before); False if pdflatex ends first (or the deadline passes)."""
        import errno
        import time

        end = None if deadline is None else time.monotonic() + deadline
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or self.proc.poll() is not None \
                        or (end is not None and time.monotonic() > end):
                    return False
                time.sleep(0.002)     # no reader yet
        try:
            os.write(fd, line.encode())
        except OSError:
            return False
        finally:
            os.close(fd)
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
        self._close_held()
        shutil.rmtree(self.dir, ignore_errors=True)
