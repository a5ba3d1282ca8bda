r"""A precompiled preamble: the document's preamble dumped into a TeX format, so that every
pass starts with its packages already loaded (0.26 s of a 0.65 s pass, for this homework).

The format is made by ``pdftex -ini`` from the main file itself, read up to its
``\begin{document}``, where it is dumped; in the format, ``\documentclass`` then skips the
preamble that the format already holds.  It is rebuilt when its key changes: the preamble's
text (the main file up to ``\begin{document}``: its body is a source like any ``\input``
file, and an edit there costs no new format), the content of every other project file the
dump read (``doc/preamble.tex``, ``verified.sty``...), the TeX installation,
``SOURCE_DATE_EPOCH`` and the search path.  The dump runs in a process of its own beside the
compile's first pass (``start``, then ``result``); no threads.

A format is used only once it has shown that it changes nothing: the first compile after a new
format runs without it, then one pass with it on the same auxiliary files; only if the two
PDFs are byte-identical is the format trusted for later builds.  A preamble that cannot be
dumped, or whose format would change the output, simply means compiling without one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from hw1.engine import paths

FMT_DIR = paths.FMT_DIR

# Read by pdftex -ini: stop at \begin{document}, make \documentclass skip the preamble in the
# runs that load the format, and restore there what a format does not keep: \pdftrailerid,
# and the page colour that the color package's \pdfcolorstack holds (pdftex.def).
DUMP = r"""%% Made by hw1.engine.texformat (v2): the preamble of %(main)s, as a format.
\makeatletter
\let\hw@fmt@document\document
\let\hw@fmt@trailerid\pdftrailerid
\def\pdftrailerid#1{\hw@fmt@trailerid{#1}\gdef\hw@fmt@theid{#1}}
\long\def\hw@fmt@skip#1\begin#2{\def\hw@fmt@arg{#2}%%
  \ifx\hw@fmt@arg\hw@fmt@doc\expandafter\hw@fmt@done\else\expandafter\hw@fmt@skip\fi}
\def\hw@fmt@doc{document}
\def\hw@fmt@done{\ifdefined\hw@fmt@theid\hw@fmt@trailerid\expandafter{\hw@fmt@theid}\fi
  \ifdefined\@pdfcolorstack\pdfcolorstack\@pdfcolorstack set{\current@color}\fi
  \begin{document}}
\def\document{\let\document\hw@fmt@document\let\documentclass\hw@fmt@skip\makeatother\dump}
\makeatother
\input{%(main)s}
"""


def fmt_path() -> Path:
    return paths.tex_file(".fmt", FMT_DIR)


def preamble() -> str:
    """The main file's text up to its \\begin{document} (what the format holds)."""
    text = paths.MAIN_TEX.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"^[^%\n]*\\begin\{document\}", text, re.M)
    return text[: m.start()] if m else text


def installation() -> str:
    """Identifies the TeX installation: the pdftex binary and the LaTeX format it starts from
    (their paths, sizes and times).  Asked only when TeX is about to run."""
    parts = []
    try:
        found = subprocess.run(["kpsewhich", "-engine=pdftex", "pdflatex.fmt"], capture_output=True,
                               text=True, check=False, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        found = ""
    for path in (shutil.which("pdftex"), found):
        if path and os.path.exists(path):
            st = os.stat(os.path.realpath(path))
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def key(epoch: str, texinputs: str) -> str:
    """The hash of what the format depends on: the preamble's text, the content of every other
    project file the last dump read (the main file's part is ``preamble()``: an edit of its body
    is no change of the format's), the installation, the date and the search path."""
    from hw1.engine import deps
    from hw1.engine.latex import read_files

    main = paths.rel(paths.MAIN_TEX)
    read = {rel: deps.sha256_file(paths.ROOT / rel) for rel in read_files(fls())
            if rel != main and (paths.ROOT / rel).is_file()}
    parts = {"preamble": preamble(), "read": read, "installation": installation(), "epoch": epoch,
             "texinputs": texinputs, "dump": DUMP}
    return deps.sha256_bytes(repr(sorted(parts.items())).encode())


def start(env: dict[str, str], parent: int) -> subprocess.Popen | str:
    """Start dumping the format (a process of its own, which dies with ``parent``); the process,
    or why it could not start.  ``result`` waits for it."""
    from hw1.engine.workers import die_with_parent

    FMT_DIR.mkdir(parents=True, exist_ok=True)
    source = FMT_DIR / f"{paths.JOB}-dump.tex"
    source.write_text(DUMP % {"main": paths.rel(paths.MAIN_TEX)}, encoding="utf-8")
    fmt_path().unlink(missing_ok=True)
    paths.tex_file(".log", FMT_DIR).unlink(missing_ok=True)
    cmd = ["pdftex", "-ini", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
           "-file-line-error", "-recorder", f"-jobname={paths.JOB}",
           f"-output-directory={paths.rel(FMT_DIR)}", "&pdflatex", paths.rel(source)]
    try:   # what it prints is in its log; nothing reads a pipe while the first pass runs
        return subprocess.Popen(cmd, cwd=paths.ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=lambda: die_with_parent(parent))  # noqa: PLW1509 - no threads
    except OSError as exc:
        return f"pdftex -ini could not run: {exc}"


def result(proc: subprocess.Popen | str, timeout: float = 120) -> tuple[bool, str]:
    """Wait for the dump ``start`` began; (True, "") or (False, why not)."""
    if isinstance(proc, str):
        return False, proc
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False, f"pdftex -ini took more than {timeout:g} s"
    if proc.returncode != 0 or not fmt_path().is_file():
        log = paths.tex_file(".log", FMT_DIR)
        text = paths.read_text(log, "utf-8", "replace") if log.is_file() else ""
        first = re.search(r"^(?:\S+:\d+: |! )(.*)$", text, re.M)
        return False, first.group(1) if first else f"pdftex -ini failed (exit {proc.returncode})"
    return True, ""


def fmt_hash() -> str | None:
    """The sha256 of the format file (None if there is none)."""
    from hw1.engine import deps

    try:
        return deps.sha256_file(fmt_path())
    except (OSError, paths.NotAFile):
        return None


def intact(record: dict) -> bool:
    """Whether the format file is the one the build's record vouches for, by its hash: one
    that a killed dump left half-written, or that was damaged, is made again, never loaded
    (TeX would only say "Fatal format file error")."""
    digest = fmt_hash()
    return digest is not None and record.get("hash") == digest


def fls() -> Path:
    return paths.tex_file(".fls", FMT_DIR)
