"""The no-op, answered before the build is even imported.

At the end of every successful build, the metadata (size, times, inode) of every file and
folder the build depends on or made is recorded, with the environment it ran in.  The next
``invoke build-pdf`` first compares them: if not one has changed, nothing can have changed,
and it says so at once.  Any difference (an edit, a ``touch``, a new file, a library
installed, another commit) sends it down the full build, which decides by content as always.
Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable

from hw1 import paths

STATE = paths.CACHE / "noop.json"


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


def _fingerprint(names: list[str]) -> str:
    data = json.dumps([_environment(), names, _stamps(names)])
    return hashlib.sha256(data.encode()).hexdigest()


def _watched(outputs: list[str]) -> list[str]:
    """What a build depends on or made, as paths: the project's sources and folders, the
    document, the outputs, the build's state, the folders libraries are installed in."""
    names: set[str] = {str(paths.CONFIG_FILE)}
    for top in (paths.PACKAGE, paths.DOC):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            names.add(folder)
            names.update(os.path.join(folder, f) for f in files if not f.endswith((".pyc", ".nbi", ".nbc")))
    for folder in (paths.BUILD, paths.CACHE, paths.GENERATED, paths.FIGURES, paths.TEX_OUT):
        if folder.is_dir():   # their files (not the folders, which the build's own writes touch)
            names.update(str(p) for p in folder.iterdir() if p.is_file() and p != STATE
                         and not p.name.startswith("."))
    names.update(str(paths.ROOT / rel) for rel in outputs)
    names.update(entry for entry in sys.path if entry and os.path.isdir(entry))
    root = str(paths.ROOT)
    return sorted({os.path.relpath(n, root) if (n + "/").startswith(root + "/") else n for n in names})


def record(outputs: list[str], lines: list[str]) -> None:
    """After a successful build: remember the state it left, and what a no-op would say."""
    from hw1.engine import deps

    names = _watched(outputs)
    try:
        deps.write_state(STATE, {"names": names, "fingerprint": _fingerprint(names), "lines": lines})
    except OSError:
        pass


def forget() -> None:
    STATE.unlink(missing_ok=True)


def up_to_date(echo: Callable[[str], None] = say) -> bool:
    """True, after saying what the last build said, if nothing at all changed since it."""
    try:
        state = json.loads(STATE.read_text(encoding="utf-8"))
        names, lines = state["names"], state["lines"]
        if not (isinstance(names, list) and isinstance(lines, list)):
            return False
        if _fingerprint(names) != state["fingerprint"]:
            return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for line in lines:
        echo(line)
    return True
