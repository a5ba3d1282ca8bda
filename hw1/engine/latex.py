"""Running TeX: latexmk without shell escape, reproducible output, readable errors.

- TeX never runs shell commands: pdflatex gets ``-no-shell-escape`` and rc files are ignored
  (``-norc``), so no latexmkrc can turn it back on; a log that says otherwise fails the build.
- Reproducible PDFs: SOURCE_DATE_EPOCH (default: the last commit's time) with
  FORCE_SOURCE_DATE=1, and the preamble's \\pdftrailerid{} and \\pdfsuppressptexinfo.
- Errors: the first error of the log, as ``file:line: message``, the offending source line,
  and the path of the full log — at most about ten lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

from hw1 import paths

PDFLATEX = ("pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error "
            "-file-line-error -recorder %O %S")


STYLE_DIR = Path(__file__).resolve().parent / "tex"    # verified.sty


def texinputs() -> str:
    """Where TeX looks for \\input files and figures: the document's folder, the generated
    fragments, the figures and the engine's style; relative to the project root, so no absolute
    path reaches the PDF or the log."""
    rel = [p.relative_to(paths.ROOT).as_posix() for p in (paths.DOC, paths.GENERATED, paths.FIGURES)]
    return os.pathsep.join([*rel, paths.rel(STYLE_DIR), ""])   # "": TeX's own search path too


def log_path() -> Path:
    return paths.TEX_OUT / f"{paths.JOB}.log"


def read_files() -> list[str]:
    """The project's files the last TeX run read (from its -recorder .fls), relative to the
    root: the document's .tex files, fragments, figures, style, and any source it listed."""
    fls = paths.TEX_OUT / f"{paths.JOB}.fls"
    try:
        lines = fls.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    out = set()
    for line in lines:
        if line.startswith("INPUT "):
            path = Path(line[6:].strip())
            path = (paths.ROOT / path).resolve() if not path.is_absolute() else path.resolve()
            if path.is_relative_to(paths.ROOT) and not path.is_relative_to(paths.TEX_OUT):
                out.add(path.relative_to(paths.ROOT).as_posix())
    return sorted(out)


def command() -> list[str]:
    # -g: hw1 has already decided that a TeX input changed (including ones latexmk cannot
    # see, such as SOURCE_DATE_EPOCH), so latexmk must not skip the run
    return ["latexmk", "-norc", "-pdf", "-g", f"-pdflatex={PDFLATEX}",
            f"-outdir={paths.TEX_OUT.relative_to(paths.ROOT).as_posix()}",
            paths.MAIN_TEX.relative_to(paths.ROOT).as_posix()]


def source_date_epoch() -> str:
    """SOURCE_DATE_EPOCH from the environment, else the last commit's time, else ''."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=paths.ROOT, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def environment(epoch: str) -> dict[str, str]:
    # long log lines unwrapped, so file:line: messages and paths survive intact
    env = dict(os.environ, TEXINPUTS=texinputs(), max_print_line="10000", error_line="254",
               half_error_line="238")
    if epoch:
        env.update(SOURCE_DATE_EPOCH=epoch, FORCE_SOURCE_DATE="1")
    return env


class LogSummary(NamedTuple):   # a NamedTuple: cheaper to define than a dataclass, on every build
    overfull: int          # overfull boxes wider than 1 pt (smaller ones are invisible)
    underfull: int         # underfull boxes with badness above 1000
    undefined_refs: int
    undefined_cites: int
    missing_chars: int
    shell_escape: bool     # the log says \write18 was enabled (must never happen)

    def line(self) -> str:
        return (f"log: {self.overfull} overfull boxes > 1pt, {self.underfull} underfull, "
                f"{self.undefined_refs} undefined references, {self.undefined_cites} undefined "
                f"citations, {self.missing_chars} missing characters")


def summarize(log: str) -> LogSummary:
    overfull = [float(m) for m in re.findall(r"^Overfull \\[hv]box \(([\d.]+)pt too", log, re.M)]
    return LogSummary(
        overfull=sum(1 for w in overfull if w > 1.0),
        underfull=len(re.findall(r"^Underfull \\[hv]box \(badness (\d+)\)", log, re.M)),
        undefined_refs=len(re.findall(r"LaTeX Warning: Reference `[^']*' on page", log)),
        undefined_cites=len(re.findall(r"LaTeX Warning: Citation `[^']*' on page", log)),
        missing_chars=len(re.findall(r"^Missing character: There is no", log, re.M)),
        shell_escape=bool(re.search(r"^\s*(restricted )?\\write18 enabled", log, re.M)),
    )


def _source_line(path: Path, lineno: int) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[lineno - 1].strip()
    except (OSError, IndexError):
        return ""


def _unclosed_hint(message: str) -> list[str]:
    """For 'ended by' and 'inside a group' errors, which TeX reports where the enclosing file
    ends: the environment the document's own files leave open, at its file and line."""
    if not re.search(r"ended by|inside a group|Emergency stop|File ended", message):
        return []
    from hw1.engine import texscan

    found = [f for path in texscan.tex_files() for f in texscan.unclosed(path)]
    return [f"  likely cause: {f}" for f in found[:3]]


def _opened_elsewhere(message: str):
    """For "\\begin{env} on input line N ended by ...", the one file of the document that opens
    ``env`` at line N and never closes it (TeX names only the line, not the file)."""
    m = re.search(r"\\begin\{([^}]*)\} on input line (\d+) ended by", message)
    if not m:
        return None
    from hw1.engine import texscan

    env, line = m.group(1), int(m.group(2))
    found = [f for path in texscan.tex_files() for f in texscan.unclosed(path)
             if f.line == line and f.what.startswith(f"\\begin{{{env}}}")]
    return found[0] if len(found) == 1 else None


def explain_error(log: str, producers: dict[str, str]) -> str:
    """A short, actionable account of the first TeX error in ``log``.  ``producers`` maps a
    generated file (relative path), and a declaration's name, to the declaration that made it."""
    log_rel = paths.rel(log_path())
    match = re.search(r"^(\S[^\n:]*\.[A-Za-z0-9]+):(\d+): (.*)$", log, re.M)
    if not match:
        bang = re.search(r"^! (.*)$", log, re.M)
        what = bang.group(1) if bang else "TeX stopped without a file:line error"
        return "\n".join([f"LaTeX failed: {what}", *_unclosed_hint(what), f"  full log: {log_rel}"])
    file, lineno, message = match.group(1), int(match.group(2)), match.group(3).strip()
    path = Path(file) if Path(file).is_absolute() else paths.ROOT / file.removeprefix("./")
    try:
        shown = path.resolve().relative_to(paths.ROOT).as_posix()
    except ValueError:
        shown = file
    # TeX's own context: the "l.<n> ..." line shows where on the line it stopped
    context = re.search(rf"^l\.{lineno} (.*)$", log[match.end():], re.M)
    opened = _opened_elsewhere(message)
    if opened is not None:   # an environment left open in an \input file: name that file first
        where = f"{opened.file}:{opened.line}"
        source = _source_line(paths.ROOT / opened.file, opened.line)
        return "\n".join([f"{where}: {opened.what}", f"  {opened.line} | {source}",
                           f"  (TeX noticed at {shown}:{lineno}: {message})", f"  full log: {log_rel}"])
    lines = [f"{shown}:{lineno}: {message}"]
    source = _source_line(path, lineno)
    if source:
        lines.append(f"  {lineno} | {source[:160]}")
    if context and context.group(1).strip():
        lines.append(f"  TeX stopped after: {context.group(1).strip()[-80:]}")
    if shown in producers:
        lines.append(f"  {shown} is generated by {producers[shown]}: fix the code that writes it")
    # TeX shows the macros it was expanding: the LaTeX of a value or claim is one of them
    expanding = log[match.end(): context.start() + match.end() if context else match.end() + 2000]
    for name in dict.fromkeys(re.findall(r"\\hw@(?:claim|value|figure|madeby)@([\w.]+)", expanding)):
        if name in producers:
            lines.append(f"  the LaTeX shown by {name} comes from {producers[name]}: "
                         "fix the code that makes it")
    lines += _unclosed_hint(message)
    lines.append(f"  full log: {log_rel}")
    return "\n".join(lines)


class LatexError(Exception):
    pass


AUX = (".aux", ".toc", ".out", ".lof", ".lot", ".fdb_latexmk", ".fls")


def _run_latexmk(epoch: str) -> subprocess.CompletedProcess:
    from hw1.engine.store import die_with_parent

    parent = os.getpid()
    return subprocess.run(command(), cwd=paths.ROOT, env=environment(epoch), capture_output=True,
                          text=True, errors="replace", check=False,
                          preexec_fn=lambda: die_with_parent(parent))   # noqa: PLW1509 - no threads here


def compile_pdf(epoch: str, producers: dict[str, str]) -> tuple[Path, LogSummary, int]:
    """Run latexmk; return (the PDF it made, its log summary, number of pdflatex passes).  A
    failure is retried once from fresh auxiliary files (a damaged .aux fails every run that
    reads it) before it is reported."""
    if shutil.which("latexmk") is None:
        raise LatexError("latexmk is not installed: run `invoke setup` (it installs the TeX toolchain)")
    paths.TEX_OUT.mkdir(parents=True, exist_ok=True)
    out = _run_latexmk(epoch)
    passes = _passes(out)
    if out.returncode != 0:
        for ext in AUX:
            (paths.TEX_OUT / f"{paths.JOB}{ext}").unlink(missing_ok=True)
        out = _run_latexmk(epoch)
        passes += _passes(out)
    log_file = log_path()
    log = log_file.read_text(encoding="latin-1") if log_file.is_file() else ""
    if out.returncode != 0:
        _disk_full_check()
        if not log:
            tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-8:])
            raise LatexError(f"latexmk failed before TeX wrote a log:\n{tail}")
        raise LatexError(explain_error(log, producers))
    summary = summarize(log)
    if summary.shell_escape:
        raise LatexError(f"the TeX log says \\write18 was enabled; refusing the PDF (see {log_file})")
    return paths.TEX_OUT / f"{paths.JOB}.pdf", summary, passes


def _passes(out: subprocess.CompletedProcess) -> int:
    return len(re.findall(r"^Run number \d+ of rule '(?:pdf)?latex'", out.stdout + out.stderr, re.M))


def _disk_full_check() -> None:
    """TeX reports a full disk as "I can't write on file": say what it is."""
    if shutil.disk_usage(paths.TEX_OUT).free < 4 * 2**20:
        import errno

        from hw1.engine.store import os_error

        raise LatexError(str(os_error(OSError(errno.ENOSPC, "No space left on device", str(paths.TEX_OUT)))))
