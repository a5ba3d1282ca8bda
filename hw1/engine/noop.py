"""The no-op, answered before the build is even imported.

At the end of every successful build, the metadata (size, times, inode) of every file and
folder the build depends on or made is recorded, with the environment it ran in: the sources'
as the build began (a file saved while it ran then counts as changed), its outputs' as it
ended.  The next ``invoke build-pdf`` first compares them: if not one has changed, nothing can
have changed, and it says so at once.  Any difference (an edit, a ``touch``, a new file, a
library installed, another commit) sends it down the full build, which decides by content as
always.  Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable

from hw1.engine import paths

STATE = paths.NOOP_STATE


def say(line: str) -> None:
    """Print a line; a reader that went away (``invoke build-pdf | head``) does not stop the
    build: what is left to say goes to /dev/null."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def git_head() -> str:
    """The commit git's HEAD names, read from .git without running git ('' if unknown)."""
    git = paths.ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        try:
            return (git / ref).read_text().strip()
        except OSError:
            packed = (git / "packed-refs").read_text()
            m = re.search(rf"^([0-9a-f]{{40}}) {re.escape(ref)}$", packed, re.M)
            return m.group(1) if m else ""
    except OSError:
        return ""


def _environment() -> list:
    return [sys.version, sys.executable, os.environ.get("SOURCE_DATE_EPOCH", ""),
            os.environ.get("HW1_FORMAT", ""), git_head()]


def _stamps(names: list[str]) -> list:
    """Metadata of each path; relative ones are taken from the project root (a copy of the
    project is a different project: its files have other inodes and times)."""
    out = []
    for name in names:
        try:
            st = os.stat(name if os.path.isabs(name) else os.path.join(paths.ROOT, name))
            out.append([st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
        except OSError:
            out.append(None)
    return out


def _fingerprint(names: list[str], stamps: list | None = None) -> str:
    data = json.dumps([_environment(), names, _stamps(names) if stamps is None else stamps])
    return hashlib.sha256(data.encode()).hexdigest()


def _relative(names: set[str]) -> set[str]:
    root = str(paths.ROOT)
    return {os.path.relpath(n, root) if (n + "/").startswith(root + "/") else n for n in names}


def _sources() -> set[str]:
    """What a build reads that the author or an installer changes: the project's sources and
    their folders, the configuration, the folders libraries are installed in."""
    names: set[str] = {str(paths.CONFIG_FILE)}
    for top in (paths.PACKAGE, paths.DOC):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            names.add(folder)
            names.update(os.path.join(folder, f) for f in files if not f.endswith((".pyc", ".nbi", ".nbc")))
    names.update(entry for entry in sys.path if entry and os.path.isdir(entry))
    return _relative(names)


def _made(outputs: list[str]) -> set[str]:
    """What a build made: its outputs and state files."""
    names: set[str] = set()
    for folder in (paths.BUILD, paths.CACHE, paths.GENERATED, paths.FIGURES, paths.TEX_OUT):
        if folder.is_dir():   # their files (not the folders, which the build's own writes touch)
            names.update(str(p) for p in folder.iterdir() if p.is_file() and p != STATE
                         and not p.name.startswith("."))
    names.update(str(paths.ROOT / rel) for rel in outputs)
    return _relative(names)


def begin() -> dict[str, list | None]:
    """The sources' metadata as a build begins.  What the build then records for the next
    no-op is this, not what the sources are at its end: a file saved while the build ran
    makes the next build a full one, which decides by content."""
    names = sorted(_sources())
    return dict(zip(names, _stamps(names), strict=True))


def record(outputs: list[str], lines: list[str], begun: dict[str, list | None]) -> None:
    """After a successful build: remember the state it left (its sources as ``begun``), and
    what a no-op would say."""
    from hw1.engine import deps

    names = sorted({*begun, *_made(outputs)})
    later = [n for n in names if n not in begun]
    stamps = {**dict(zip(later, _stamps(later), strict=True)), **begun}
    fingerprint = _fingerprint(names, [stamps[n] for n in names])
    try:
        deps.write_state(STATE, {"names": names, "fingerprint": fingerprint, "lines": lines})
    except OSError:
        pass


def forget() -> None:
    STATE.unlink(missing_ok=True)


def up_to_date(echo: Callable[[str], None] = say) -> bool:
    """True, after saying what the last build said, if nothing at all changed since it."""
    try:
        state = json.loads(paths.read_text(STATE))
        names, lines = state["names"], state["lines"]
        if not (isinstance(names, list) and isinstance(lines, list)):
            return False
        if _fingerprint(names) != state["fingerprint"]:
            return False
    except (OSError, ValueError, KeyError, TypeError, paths.NotAFile):   # the build replaces it
        return False
    for line in lines:
        echo(line)
    return True
