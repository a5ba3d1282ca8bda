"""What a generated artifact depends on, found without importing anything.

The source of a declaration's module and, transitively, of every module of the project it
imports (the hw1 package and the document's own modules; read with ``ast``, so lazy imports
inside functions count too), plus the versions of the third-party libraries those modules
import.  Only the standard library is used here, so a
no-op build never loads numpy, torch, sympy or matplotlib.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from functools import cache
from pathlib import Path

from hw1.engine import paths

# What each source file imports, by its content: parsing every module on every build would
# be most of a no-op build's time.  A missing or damaged file only means parsing again.
IMPORTS_CACHE = paths.IMPORTS_CACHE

# import name -> distribution name, where they differ
DISTRIBUTIONS = {"pylatex": "PyLaTeX", "yaml": "PyYAML", "PIL": "pillow"}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


HASHES = paths.HASHES


class _Hashes:
    """What each file hashed to, by its size, times and inode, so that a file no one touched
    is not read again (git's index does the same).  A file whose metadata changed, a ``touch``
    included, is hashed again: content, never metadata, decides what is stale."""

    def __init__(self) -> None:
        self.dirty = False
        try:
            loaded = json.loads(paths.read_text(HASHES))
            self.known = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            self.known = {}

    def get(self, path: Path) -> str:
        st = os.stat(path)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        key = str(path)
        entry = self.known.get(key)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == stamp and isinstance(entry[4], str):
            return entry[4]
        digest = sha256_bytes(paths.read_bytes(path))
        self.known[key] = [*stamp, digest]
        self.dirty = True
        return digest

    def save(self) -> None:
        if self.dirty:
            live = {k: v for k, v in self.known.items() if os.path.exists(k)}
            try:
                write_state(HASHES, live)
            except OSError:
                pass
            self.dirty = False


@cache
def _hashes() -> _Hashes:
    return _Hashes()


def sha256_file(path: Path) -> str:
    """The sha256 of a file's content (remembered by its metadata; see _Hashes)."""
    return _hashes().get(Path(path))


def save_hashes() -> None:
    if _hashes.cache_info().currsize:
        _hashes().save()


# -- state files under build/: a damaged or hand-edited entry is treated as absent ------------------
def seal(key: str, value) -> list:
    """``[text, hash]``: a cache entry holding its value as JSON text and the hash of its key
    and that text (checking it costs a hash, not a serialisation)."""
    text = json.dumps(value, sort_keys=True)
    return [text, sha256_bytes(f"{key}\n{text}".encode())]


def unseal(key: str, entry):
    """The value of a sealed entry, or None if it is not one or does not match its hash."""
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and isinstance(entry[1], str)):
        return None
    if sha256_bytes(f"{key}\n{entry[0]}".encode()) != entry[1]:
        return None
    try:
        return json.loads(entry[0])
    except ValueError:
        return None


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file atomically: to a temporary file renamed into place, which is removed if
    the write fails (a full disk, say) so that nothing half-written is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_state(path: Path, payload) -> None:
    """Write a JSON state file atomically."""
    write_atomic(path, json.dumps(payload, sort_keys=True))


@cache
def _local_packages() -> frozenset[str]:
    """Top-level import names whose source is in the project: hw1 and the document's folder."""
    return frozenset({"hw1", paths.DOC.relative_to(paths.ROOT).parts[0]})


@cache
def module_path(name: str) -> Path | None:
    """The source file of the project's module ``name`` (``hw1.x.y``, ``doc.gd``), or
    None if it is not one of the project's."""
    parts = name.split(".")
    if parts[0] not in _local_packages() or not all(p.isidentifier() for p in parts):
        return None         # (a damaged imports cache could name "hw1./etc/x": never looked up)
    base = paths.ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _statements(tree):
    """Every statement in ``tree``, however nested (imports are statements: expressions, the
    bulk of a tree, need not be visited)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, None) or ():   # lists of statements
                todo.append(child)
                yield child


def _imports(tree, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """(the project's modules, top-level third-party names) imported anywhere in ``tree``."""
    import ast

    ours, theirs = set(), set()

    def add(name: str) -> None:
        top = name.split(".")[0]
        if top in _local_packages():
            parts = name.split(".")
            for k in range(1, len(parts) + 1):   # importing hw1.a.b runs hw1 and hw1.a too
                if module_path(".".join(parts[:k])):
                    ours.add(".".join(parts[:k]))
        elif top not in sys.stdlib_module_names and top != "__future__":
            theirs.add(top)

    package = module if is_package else module.rpartition(".")[0]
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative import
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            add(source)
            for alias in node.names:   # from hw1 import net: net may be a module
                if module_path(f"{source}.{alias.name}"):
                    add(f"{source}.{alias.name}")
    return ours, theirs


class _ImportsCache:
    """{"<module> <sha256 of source>": sealed [project modules, third-party names]}, for the current
    set of the project's source files (adding or removing one can change what ``from hw1 import
    x`` means)."""

    def __init__(self) -> None:
        self.modules = sorted(p.relative_to(paths.ROOT).as_posix()
                              for top in _local_packages() for p in (paths.ROOT / top).rglob("*.py"))
        self.entries: dict[str, list[list[str]]] = {}
        self.dirty = False
        try:
            loaded = json.loads(paths.read_text(IMPORTS_CACHE))
            if (isinstance(loaded, dict) and loaded.get("modules") == self.modules
                    and isinstance(loaded.get("entries"), dict)):
                self.entries = loaded["entries"]
        except (OSError, ValueError):
            pass

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            write_state(IMPORTS_CACHE, {"modules": self.modules, "entries": self.entries})
        except OSError:   # a cache that cannot be written only costs a parse next time
            pass
        self.dirty = False


@cache
def _imports_cache() -> _ImportsCache:
    return _ImportsCache()


def save_imports_cache() -> None:
    """Write what this process learned of the sources' imports (no-op if nothing new)."""
    if _imports_cache.cache_info().currsize:
        _imports_cache().save()


@cache
def _scan(name: str) -> tuple[str, str, frozenset[str], frozenset[str]]:
    """(relative path, sha256, hw1 modules imported, third-party names imported) of module
    ``name``'s source."""
    path = module_path(name)
    if path is None:
        raise ValueError(f"no source file for module {name!r}")
    digest = sha256_file(path)
    known = _imports_cache()
    key = f"{name} {digest}"
    entry = unseal(key, known.entries.get(key))
    if not (isinstance(entry, list) and len(entry) == 2
            and all(isinstance(e, list) and all(isinstance(n, str) for n in e) for e in entry)):
        import ast

        tree = ast.parse(path.read_bytes(), filename=str(path))
        ours, theirs = _imports(tree, name, path.name == "__init__.py")
        entry = [sorted(ours), sorted(theirs)]
        known.entries[key] = seal(key, entry)
        known.dirty = True
    return path.relative_to(paths.ROOT).as_posix(), digest, frozenset(entry[0]), frozenset(entry[1])


@cache
def _modules(module: str) -> tuple[str, ...]:
    """``module`` and every project module it reaches, by name."""
    parts = module.split(".")
    todo = [".".join(parts[:k]) for k in range(1, len(parts) + 1)   # importing a.b runs a too
            if module_path(".".join(parts[:k]))]                      # (unless a is a namespace)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += _scan(name)[2]
    return tuple(sorted(seen))


def closure(module: str) -> dict[str, str]:
    """{relative source path: sha256} of ``module`` and every project module it reaches."""
    return dict(sorted(_scan(name)[:2] for name in _modules(module)))


def libraries(module: str) -> dict[str, str]:
    """{distribution: version} of the third-party packages imported by ``module``'s closure."""
    names = set().union(*(_scan(name)[3] for name in _modules(module)))
    dists = sorted(DISTRIBUTIONS.get(name, name) for name in names)
    return {dist: _version(dist) for dist in dists}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def _dist_infos() -> dict[str, str]:
    """{normalized name: version} from the names of the *.dist-info folders on sys.path, the
    first one found winning, as importlib.metadata finds them (but without reading them)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                dist, sep, version = name[:-10].partition("-")
                if sep:
                    found.setdefault(_normalized(dist), version.partition("-")[0])
    return found


@cache
def _version(dist: str) -> str:
    """The installed version of ``dist``, or "not installed" (an optional import, say)."""
    return _dist_infos().get(_normalized(dist), "not installed")
