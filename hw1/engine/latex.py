"""Running TeX: pdflatex without shell escape, reproducible output, readable errors.

- TeX never runs shell commands: pdflatex gets ``-no-shell-escape``; a log that says
  otherwise fails the build.
- Passes: pdflatex runs again while its auxiliary files (.aux, .toc, .out, .bbl...) change, as
  latexmk would, at most five times; a prose edit that moves no label takes one pass.  Between
  passes, bibtex or biber runs when the document asks for a bibliography (``bibliography``).
- The preamble is precompiled into a format when that changes nothing (``texformat``).
- Reproducible PDFs: SOURCE_DATE_EPOCH (default: the last commit's time) with
  FORCE_SOURCE_DATE=1, and \\pdftrailerid{} and \\pdfsuppressptexinfo=-1 on TeX's command
  line, before the document is read: its preamble need not say them.
  SyncTeX data go to a file of their own (build/<job>.synctex.gz), never into the PDF.
- Errors: the first error of the log, as ``file:line: message``, the offending source line,
  and the path of the full log — at most about ten lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

from hw1.engine import bibliography, fragments, paths

MAX_PASSES = 5
AUX = (".aux", ".toc", ".out", ".lof", ".lot", ".nav", ".snm", ".bbl")   # what a pass reads back
STYLE_DIR = paths.STYLE_DIR    # verified.sty


def texinputs() -> str:
    """Where TeX looks for \\input files and figures: the document's folder, the generated
    fragments, the figures and the engine's style; relative to the project root, so no absolute
    path reaches the PDF or the log."""
    rel = [p.relative_to(paths.ROOT).as_posix() for p in (paths.DOC, paths.GENERATED, paths.FIGURES)]
    return os.pathsep.join([*rel, paths.rel(STYLE_DIR), ""])   # "": TeX's own search path too


def log_path() -> Path:
    return paths.tex_file(".log")


def read_log(path: Path | None = None) -> str:
    """TeX's log, decoded as UTF-8 (the encoding of the file names and text it quotes: a file
    doc/ünï.tex is named so, not doc/Ã¼nÃ¯.tex); a byte that is not UTF-8 reads as U+FFFD."""
    return paths.read_text(log_path() if path is None else path, "utf-8", "replace")


def page_count() -> int | None:
    """How many pages the last compile wrote, from its log; None if unknown."""
    try:
        m = re.search(r"Output written on .*?\((\d+) pages?", read_log())
    except (OSError, paths.NotAFile):
        return None
    return int(m.group(1)) if m else None


def read_files(fls: Path | None = None, *, in_order: bool = False) -> list[str]:
    """The project's files a TeX run read (from its -recorder .fls, by default the last
    compile's), relative to the root: the document's .tex files, fragments, figures, style, and
    any source it listed; sorted, or ``in_order`` TeX first opened them.  Read with string
    operations only: the .fls lists thousands of TeX Live files, and a no-op build must not
    touch them."""
    fls = paths.tex_file(".fls") if fls is None else fls
    try:
        lines = paths.read_text(fls, "utf-8", "replace").splitlines()
    except OSError:
        return []
    root, out_dir = str(paths.ROOT), paths.rel(paths.TEX_OUT) + "/"
    out: dict[str, None] = {}
    for line in lines if in_order else set(lines):
        if not line.startswith("INPUT "):
            continue
        path = line[6:].strip()
        if path.startswith("/"):
            if not path.startswith(root + "/"):
                continue                      # TeX Live's own files
            path = path[len(root) + 1:]
        path = os.path.normpath(path)
        if not path.startswith(("../", out_dir)) and path != "..":
            out[path] = None
    return list(out) if in_order else sorted(out)


# What reproducible PDFs need, set by the engine before the document is read (the preamble
# need not say it): no trailer ID (pdfTeX derives one from the time and the file's path), no
# PTEX.* keys carrying file names.
REPRODUCIBLE = r"\pdftrailerid{}\pdfsuppressptexinfo=-1 "


def command(fmt: Path | None = None, outdir: Path | None = None, before: str = "") -> list[str]:
    """One pdflatex pass (from the project root, with paths relative to it).  Its first line
    sets ``REPRODUCIBLE``, then runs ``before`` (TeX code), then reads the main file."""
    outdir = paths.TEX_OUT if outdir is None else outdir
    return ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
            "-recorder", "-synctex=1", f"-output-directory={paths.rel(outdir)}",
            *([f"-fmt={fmt.stem}"] if fmt else []), f"-jobname={paths.JOB}",
            r"%s%s\csname @@input\endcsname %s" % (REPRODUCIBLE, before, paths.rel(paths.MAIN_TEX))]


def source_date_epoch() -> str:
    """SOURCE_DATE_EPOCH from the environment, else the last commit's time, else ''.  The
    commit's time is remembered by its hash, so a no-op build runs no git."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        value = os.environ["SOURCE_DATE_EPOCH"]
        if not re.fullmatch(r"[0-9]{1,12}", value):     # pdfTeX would stop with no file:line
            raise LatexError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970 "
                             "(e.g. 1700000000); unset it to use the last commit's time")
        return value
    from hw1.engine import deps
    from hw1.engine.noop import git_head

    head, memo = git_head(), paths.EPOCH_MEMO
    if head:
        try:
            known = json.loads(paths.read_text(memo))
            if isinstance(known, dict) and isinstance(known.get(head), str):
                return known[head]
        except (OSError, ValueError):
            pass
    epoch = _git_epoch()
    if head and epoch:
        try:
            deps.write_state(memo, {head: epoch})
        except OSError:
            pass
    return epoch


def _git_epoch() -> str:
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=paths.ROOT, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def environment(epoch: str) -> dict[str, str]:
    # long log lines unwrapped, so file:line: messages and paths survive intact; TeX reads and
    # writes only the project's files (named by relative paths without "..") and finds its
    # own installation's (kpathsea's paranoid mode: see ``refused``)
    env = dict(os.environ, TEXINPUTS=texinputs(), max_print_line="10000", error_line="254",
               half_error_line="238", openin_any="p", openout_any="p")
    env.pop("TEXMFOUTPUT", None)     # would let absolute paths under it through
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
        undefined_cites=len(re.findall(r"Warning: Citation `[^']*' on page", log)),   # LaTeX's, natbib's
        missing_chars=len(re.findall(r"^Missing character: There is no", log, re.M)),
        shell_escape=bool(re.search(r"^\s*(restricted )?\\write18 enabled", log, re.M)),
    )


def _source_line(path: Path, lineno: int) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[lineno - 1].strip()
    except (OSError, IndexError):
        return ""


FILE_LINE_ERROR = re.compile(r"^(\S[^\n:]*\.[A-Za-z0-9]+):(\d+): (.*)$", re.M)   # -file-line-error


def _unclosed() -> list:
    """The environments the document's own files leave open (texscan), at their file and line."""
    from hw1.engine import texscan

    return [f for path in texscan.tex_files() for f in texscan.unclosed(path)]


def _unclosed_hint(message: str, file: str | None = None, line: int = 0) -> list[str]:
    """The environments the document's own files leave open, at their file and line.  For
    'ended by' and 'inside a group' errors, which TeX reports where the enclosing file ends,
    all of them; for an error at a known place, those opened in another file or above it (an
    itemize left open in one file gives 'perhaps a missing \\item' at a section of the next)."""
    if re.search(r"ended by|inside a group|Emergency stop|File ended", message):
        found = _unclosed()
    elif file is not None:
        found = [f for f in _unclosed() if f.file != file or f.line < line]
    else:
        return []
    return [f"  likely cause: {f}" for f in found[:3]]


def _opened_elsewhere(message: str):
    """For "\\begin{env} on input line N ended by ...", the one file of the document that opens
    ``env`` at line N and never closes it (TeX names only the line, not the file)."""
    m = re.search(r"\\begin\{([^}]*)\} on input line (\d+) ended by", message)
    if not m:
        return None
    env, line = m.group(1), int(m.group(2))
    found = [f for f in _unclosed() if f.line == line and f.what.startswith(f"\\begin{{{env}}}")]
    return found[0] if len(found) == 1 else None


# TeX's own words for an error that has no file:line: "! ..." (TeX), "!pdfTeX error: ..." (a
# figure it cannot read), "pdflatex: fatal: ..." (its environment), a damaged format
TEX_SAID = re.compile(r"^(?:!\s*pdfTeX error(?: \([^)]*\))?: (?P<pdftex>.+)|! (?P<bang>.+)"
                      r"|\S+: fatal: (?P<fatal>.+)|\((?P<fmt>Fatal format file error; I'm stymied)\)"
                      r"|---! (?P<dash>.+))$", re.M)
_BOILERPLATE = ("Emergency stop", "==> Fatal error occurred")


def tex_said(text: str) -> str | None:
    """TeX's own last error line in ``text`` (its log, or what it printed), with the line that
    continues it when TeX wrapped it; None if there is none."""
    found = None
    for m in TEX_SAID.finditer(text):
        what = next(g for g in m.groups() if g is not None).strip()
        if what.startswith(_BOILERPLATE):
            continue
        rest = text[m.end() + 1:].split("\n", 1)[0]
        if len(m.group(0)) >= 79 and rest.strip():   # pdfTeX wraps its own messages at 79 columns
            what = f"{what} {rest.strip()}"
        found = what
    return found


def _too_long(bufsize: int) -> tuple[str, int] | None:
    """The file TeX was reading and the line of it longer than its buffer (``bufsize``
    characters): one of the document's .tex files, or the index of generated names."""
    from hw1.engine import texscan

    candidates = [paths.rel(p) for p in texscan.tex_files()] + [paths.rel(paths.GENERATED / fragments.INDEX)]
    for rel in dict.fromkeys([*candidates, *read_files()]):
        try:
            with open(paths.ROOT / rel, "rb") as handle:
                for lineno, line in enumerate(handle, 1):
                    if len(line.rstrip(b"\r\n")) >= bufsize:
                        return rel, lineno
        except OSError:
            continue
    return None


def _involved(what: str, producers: dict[str, str]) -> list[str]:
    """What an error without file:line was about, when its words say: the file that holds a
    line too long for TeX's buffer (and the declaration whose LaTeX it is), or a generated
    file TeX could not read (and the declaration that made it)."""
    lines = []
    m = re.search(r"Unable to read an entire line---bufsize=(\d+)", what)
    if m:
        found = _too_long(int(m.group(1)))
        if found is not None:
            rel, lineno = found
            lines.append(f"  {rel}:{lineno} is longer than the {int(m.group(1)):,} characters TeX reads "
                         "as one line")
            if rel == paths.rel(paths.GENERATED / fragments.INDEX):
                text = paths.read_text(paths.ROOT / rel, "utf-8", "replace")
                name = fragments.declaration_at(text, lineno)
                if name in producers:
                    lines.append(f"  that line is the LaTeX of {producers[name]}: make it shorter, or "
                                 "break it into lines")
    for rel in re.findall(r"\(file ([^)]+)\)", what):
        if rel in producers:
            lines.append(f"  {rel} is made by {producers[rel]}; it is damaged, or changed while TeX read "
                         "it: build again to make it anew")
    if "epoch-seconds" in what:
        lines.append(f"  SOURCE_DATE_EPOCH={os.environ.get('SOURCE_DATE_EPOCH', '')!r} must be a number of "
                     "seconds since 1970 (unset it to use the last commit's time)")
    return lines


def explain_error(log: str, producers: dict[str, str], printed: str = "") -> str:
    """A short, actionable account of the first TeX error in ``log`` (or, when TeX stopped
    before writing one there, in what it ``printed``).  ``producers`` maps a generated file
    (relative path), and a declaration's name, to the declaration that made it."""
    log_rel = paths.rel(log_path())
    if FILE_LINE_ERROR.search(printed) and not FILE_LINE_ERROR.search(log):
        log = printed
    match = FILE_LINE_ERROR.search(log)
    if not match:
        what = tex_said(printed) or tex_said(log) or "TeX stopped without a file:line error"
        return "\n".join([f"LaTeX failed: {what}", *_involved(what, producers), *_unclosed_hint(what),
                          f"  full log: {log_rel}"])
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
    elif path.name == fragments.INDEX:     # the index holds every claim's and value's fragment
        name = fragments.declaration_at(path.read_text(encoding="utf-8", errors="replace"), lineno) \
            if path.is_file() else None
        if name in producers:
            lines.append(f"  that line is the LaTeX of {producers[name]}: fix the code that makes it")
    # TeX shows the macros it was expanding: the LaTeX of a value or claim is one of them
    expanding = log[match.end(): context.start() + match.end() if context else match.end() + 2000]
    for name in dict.fromkeys(re.findall(r"\\hw@(?:claim|value|figure|madeby)@([\w.]+)", expanding)):
        if name in producers:
            lines.append(f"  the LaTeX shown by {name} comes from {producers[name]}: "
                         "fix the code that makes it")
    lines += _unclosed_hint(message, shown, lineno)
    lines.append(f"  full log: {log_rel}")
    return "\n".join(lines)


class LatexError(Exception):
    pass


REFUSED = re.compile(r"Not (reading from|writing to) (.+?) \(open(?:in|out)_any = p\)")


def _written_at(name: str) -> tuple[str, int, str] | None:
    """Where the document's own .tex files name ``name``: (file, line, the line)."""
    from hw1.engine import texscan

    for path in texscan.tex_files():
        try:
            text = paths.read_text(path, "utf-8", "replace")
        except (OSError, paths.NotAFile):
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            if name in line.split("%", 1)[0]:
                return paths.rel(path), lineno, line.strip()
    return None


def refused(printed: str) -> str:
    """The files TeX was not allowed to read or write (kpathsea says so on stderr, in
    paranoid mode), each at the line of the document that names it; '' if none.  A file
    outside the project could change without the build knowing, and could be anything."""
    lines = []
    for verb, name in dict.fromkeys(REFUSED.findall(printed)):
        at = _written_at(name)
        what = "read" if verb.startswith("reading") else "write"
        lines.append(f"{at[0]}:{at[1]}: " if at else "")
        lines[-1] += (f"TeX may not {what} {name}: a build reads and writes only the project's files, named "
                      "by a path relative to the project without '..' (doc/data.txt), and the TeX "
                      "installation's; copy what you need into the project")
        if at:
            lines.append(f"  {at[1]} | {at[2][:160]}")
    return "\n".join(lines)


class Compiled(NamedTuple):
    pdf: Path
    summary: LogSummary
    passes: int
    note: str              # what became of the precompiled preamble, if anything


def _aux_state(outdir: Path) -> dict[str, bytes]:
    out = {}
    for ext in AUX:
        try:
            out[ext] = paths.read_bytes(paths.tex_file(ext, outdir))
        except OSError:
            pass
    return out


def _restore_aux(state: dict[str, bytes]) -> None:
    """Put the auxiliary files back as they were before a pass that failed: a pass stopped by
    an error leaves them half-written, and the build after the fix would need a second pass to
    settle them again (the fixed edit then costs one pass, like any other)."""
    for ext in AUX:
        path = paths.tex_file(ext)
        if ext in state:
            path.write_bytes(state[ext])
        else:
            path.unlink(missing_ok=True)


def refuse_special(outdir: Path) -> None:
    """Raise NotAFile if a file TeX writes or reads back in ``outdir`` (its .aux, .log, .fls,
    .pdf..., or the format's) is not a regular file: TeX would open a FIFO and wait forever."""
    from hw1.engine import texformat

    for folder in (outdir, texformat.FMT_DIR):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith((f"{paths.JOB}.", f"{paths.JOB}-dump.")):   # (the format's source)
                    paths.refuse_special(path)


def _pass_env(env: dict[str, str], fmt: Path | None) -> dict[str, str]:
    if fmt is not None:   # found by name on TEXFORMATS (a path in -fmt misplaces the -recorder file)
        env = {**env, "TEXFORMATS": os.pathsep.join([paths.rel(fmt.parent), ""])}
    return env


class TexStopped(LatexError):
    """A pdflatex pass ran past its time limit and was stopped."""


def _tex_child(parent: int) -> None:
    """In pdflatex's process, before it starts: Ctrl-C (SIGINT) stops it, as TeX does by
    itself (a watch's build ignores SIGINT, and would hand that on), and it dies with the build."""
    import signal

    from hw1.engine.workers import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    die_with_parent(parent)


def _finish(proc: subprocess.Popen, label: str, progress=None) -> subprocess.CompletedProcess:
    """Wait for the pdflatex pass ``proc``, saying so to ``progress`` while it runs long.  Past
    the TeX time limit it is interrupted (SIGINT: TeX stops with "Interruption" at the file and
    line it was reading, in its log) and TexStopped is raised.  Whatever else ends the wait
    (Ctrl-C) kills it."""
    import time

    from hw1.engine.workers import PROGRESS_EVERY, PROGRESS_FIRST, TICK

    start = time.monotonic()
    note = start + PROGRESS_FIRST
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=TICK)
                return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now - start > paths.TEX_TIME_LIMIT:
                proc.send_signal(2)          # SIGINT
                try:
                    proc.communicate(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                raise TexStopped(f"{label} was stopped after {now - start:.0f} s: its time limit is "
                                 f"{paths.TEX_TIME_LIMIT:g} s (tex_time_limit in [tool.hw1] of "
                                 "pyproject.toml)")
            if now >= note:
                if progress is not None:
                    progress(f"  still compiling {label} ({now - start:.0f} s)")
                note += PROGRESS_EVERY
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        raise


def _pass(env: dict[str, str], fmt: Path | None, outdir: Path, label: str = "",
          progress=None, ahead=None) -> subprocess.CompletedProcess:
    """One pdflatex pass; by ``ahead`` (an ``ahead.PassAhead``, under ``invoke watch``) if it
    was started for this very pass."""
    label = label or f"the pdflatex pass on {paths.rel(paths.MAIN_TEX)}"
    if ahead is not None:
        done = ahead.run(env, fmt, outdir, label, progress)
        if done is not None:
            return done
    parent = os.getpid()
    proc = subprocess.Popen(command(fmt, outdir), cwd=paths.ROOT, env=_pass_env(env, fmt),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace",
                            preexec_fn=lambda: _tex_child(parent))   # noqa: PLW1509 - no threads here
    return _finish(proc, label, progress)


def _passes(env: dict[str, str], fmt: Path | None, before_pass=None,
            progress=None, ahead=None) -> tuple[subprocess.CompletedProcess, int]:
    """Run pdflatex until its auxiliary files stop changing; (the last run, passes made).
    ``before_pass()`` is told before every pass after the first; ``progress`` hears of a pass
    that runs long; ``ahead``, a pass started ahead of time, may be the first."""
    for n in range(1, MAX_PASSES + 1):
        if n > 1 and before_pass is not None:
            before_pass()
        before = _aux_state(paths.TEX_OUT)
        log_path().unlink(missing_ok=True)   # a pass that stops before writing one leaves no stale log
        try:
            out = _pass(env, fmt, paths.TEX_OUT, f"pdflatex pass {n} on {paths.rel(paths.MAIN_TEX)}",
                        progress, ahead if n == 1 else None)
        except TexStopped:
            _restore_aux(before)
            raise
        said = refused(f"{out.stdout}\n{out.stderr}")
        if said:
            _restore_aux(before)
            raise LatexError(said)
        if out.returncode != 0:
            _restore_aux(before)
            return out, n
        try:
            bibliography.update(env)   # a new .bbl changes the auxiliary files: one more pass
        except bibliography.BibliographyError as exc:
            raise LatexError(str(exc)) from None
        log = read_log() if log_path().is_file() else ""
        if _aux_state(paths.TEX_OUT) == before and "Rerun to get" not in log:
            return out, n
    return out, MAX_PASSES


def _stopped(what: str, producers: dict[str, str]) -> str:
    """The message for a pass stopped at its time limit: where TeX was, from its log."""
    try:
        log = read_log()
    except OSError:
        log = ""
    match = FILE_LINE_ERROR.search(log)
    if not match or not match.group(3).startswith("Interruption"):
        return f"{what}; TeX did not say where it was (see {paths.rel(log_path())})"
    lines = explain_error(log, producers).splitlines()
    lines[0] = lines[0].replace(": Interruption.", ": TeX was reading this line when it was stopped")
    return "\n".join([f"{what}; it may loop forever (a macro that calls itself?):", *lines])


def compile_pdf(epoch: str, producers: dict[str, str], fmt_record: dict, progress=None,
                ahead=None) -> Compiled:
    """Compile the document; return the PDF it made, its log summary, the number of passes
    and a note.  ``fmt_record`` is the build's record of the precompiled preamble, updated in
    place.  A failure that an auxiliary file may have caused is retried once from fresh ones.
    ``progress`` hears of a pass that runs long; one that runs past its time limit is stopped,
    and the error says where.  ``ahead`` (``invoke watch``'s pass started ahead of time) runs
    the first pass if it was started for it."""
    if shutil.which("pdflatex") is None:
        raise LatexError("pdflatex is not installed: run `invoke setup` (it installs the TeX toolchain)")
    paths.TEX_OUT.mkdir(parents=True, exist_ok=True)
    refuse_special(paths.TEX_OUT)
    env = environment(epoch)
    fmt = _Format(env, epoch, fmt_record)
    try:
        out, passes = _passes(env, fmt.trusted_path(), fmt.before_pass, progress, ahead)
        if out.returncode != 0 and _aux_may_be_the_cause():
            for ext in (*AUX, ".fls"):
                paths.tex_file(ext).unlink(missing_ok=True)
            out, more = _passes(env, fmt.trusted_path(), progress=progress)
            passes += more
    except TexStopped as exc:
        fmt.finish(None)
        raise LatexError(_stopped(str(exc), producers)) from None
    log_file = log_path()
    log = read_log(log_file) if log_file.is_file() else ""
    if out.returncode != 0:
        fmt.finish(None)
        _disk_full_check()
        printed = f"{out.stdout}\n{out.stderr}"
        if not log and tex_said(printed) is None:
            tail = "\n".join(printed.strip().splitlines()[-8:])
            raise LatexError(f"pdflatex failed before it wrote a log:\n{tail}")
        raise LatexError(explain_error(log, producers, printed))
    summary = summarize(log)
    if summary.shell_escape:
        raise LatexError(f"the TeX log says \\write18 was enabled; refusing the PDF (see {log_file})")
    pdf = paths.tex_file(".pdf")
    return Compiled(pdf, summary, passes, fmt.finish(pdf))


class _Format:
    """The precompiled preamble for one compile: used if trusted; otherwise made (by a process
    started beside the first pass) and tried: one pass with it, on the same auxiliary files as
    the compile's last pass (a process beside that pass when there is one), must give the very
    same PDF for the format to be trusted.  Processes only, no threads."""

    def __init__(self, env: dict[str, str], epoch: str, record: dict):
        from hw1.engine import texformat

        self.env, self.epoch, self.record, self.note = env, epoch, record, ""
        self.dump: subprocess.Popen | str | None = None
        self.trial: subprocess.Popen | None = None
        self.trial_aux: dict | None = None
        if os.environ.get("HW1_FORMAT", "1") == "0":
            record.clear()
            self.state = "off"
            return
        self.state = "trusted" if record.get("trusted") else "candidate"
        if record.get("key") != self._key() or (record.get("trusted") is not False
                                                and not texformat.intact(record)):
            self.state = "dumping"
            self.dump = texformat.start(env, os.getpid())
        elif record.get("trusted") is False:
            self.state = "off"

    def _key(self) -> str:
        from hw1.engine import texformat

        return texformat.key(self.epoch, texinputs())

    def trusted_path(self) -> Path | None:
        from hw1.engine import texformat

        return texformat.fmt_path() if self.state == "trusted" else None

    def _ready(self) -> bool:
        """A format to try exists (made beside the first pass, or left untried by a failed compile)."""
        if self.state == "dumping" and (isinstance(self.dump, str) or self.dump.poll() is not None):
            self._record_dump()
        return self.state == "candidate"

    def _record_dump(self) -> None:
        from hw1.engine import texformat

        ok, why = texformat.result(self.dump)
        self.record.clear()
        self.record.update({"key": self._key(), "trusted": None if ok else False})
        if ok:        # checked before every use: a damaged or truncated format is made again
            self.record["hash"] = texformat.fmt_hash()
        self.state = "candidate" if ok else "off"
        if not ok:
            self.note = f"the preamble could not be precompiled ({why}); compiling without a format"

    def before_pass(self) -> None:
        """The next pass will run on the auxiliary files as they are now: try the format on them too."""
        if self.trial is None and self._ready():
            self.trial_aux = _aux_state(paths.TEX_OUT)
            self.trial = self._start_trial(self._scratch())

    def _scratch(self) -> Path:
        scratch = paths.FMT_TRIAL
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        for ext in AUX:
            src = paths.tex_file(ext)
            if src.is_file():
                shutil.copy2(src, scratch / src.name)
        return scratch

    def _start_trial(self, scratch: Path) -> subprocess.Popen:
        """The trial pass with the format, in ``scratch`` (what it prints is in its log)."""
        from hw1.engine import texformat

        fmt, parent = texformat.fmt_path(), os.getpid()
        return subprocess.Popen(command(fmt, scratch), cwd=paths.ROOT, env=_pass_env(self.env, fmt),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                preexec_fn=lambda: _tex_child(parent))   # noqa: PLW1509 - no threads here

    def _trial_ok(self, scratch: Path) -> bool:
        try:
            out = _finish(self.trial, "the trial pass with the preamble's format")
        except TexStopped:
            return False
        return out.returncode == 0 and paths.tex_file(".pdf", scratch).is_file()

    def finish(self, pdf: Path | None) -> str:
        """After the compile (``pdf`` None if it failed): settle what the format is worth."""
        if self.state == "dumping":
            self._record_dump()
        scratch = paths.FMT_TRIAL
        ok = self._trial_ok(scratch) if self.trial is not None else False
        if pdf is None or self.state != "candidate":
            shutil.rmtree(scratch, ignore_errors=True)
            return self.note
        if self.trial is None or self.trial_aux != _aux_state(paths.TEX_OUT):
            scratch = self._scratch()        # no trial yet, or one on other auxiliary files
            self.trial = self._start_trial(scratch)
            ok = self._trial_ok(scratch)
        made = paths.tex_file(".pdf", scratch)
        self.record["trusted"] = ok and made.read_bytes() == pdf.read_bytes()
        shutil.rmtree(scratch, ignore_errors=True)
        if self.record["trusted"]:
            return "the preamble is precompiled; later passes start from it"
        return "the preamble's format would change the PDF; compiling without it"


def _aux_may_be_the_cause() -> bool:
    """Whether a failed run's error could come from what it read back from an auxiliary file:
    it happened in one, or is of the kinds a cut-off file gives (a file or argument that ended
    too soon), or has no file:line at all."""
    try:
        log = read_log()
    except OSError:
        return True
    m = FILE_LINE_ERROR.search(log)
    if not m:
        return True
    return m.group(1).endswith(AUX) or bool(re.search(r"File ended|Runaway|ended while scanning",
                                                       m.group(3)))


def _disk_full_check() -> None:
    """TeX reports a full disk as "I can't write on file": say what it is."""
    if shutil.disk_usage(paths.TEX_OUT).free < 4 * 2**20:
        import errno

        from hw1.engine.store import os_error

        raise LatexError(str(os_error(OSError(errno.ENOSPC, "No space left on device", str(paths.TEX_OUT)))))
