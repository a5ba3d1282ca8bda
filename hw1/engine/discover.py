"""Find the document's declarations by reading its modules, without importing them.

Every ``*.py`` file in the document's folder (``doc/``) is a module of the document; every
top-level function in it decorated with one of ``hw1.engine``'s decorators is a declaration,
named ``<module>.<function>`` (``gd.slope`` for ``slope`` in ``doc/gd.py``).
Reading the source with ``ast`` (cached by its content) keeps a no-op build from importing
sympy, torch or matplotlib, and gives every declaration its file and line for messages.

What a declaration's result depends on, within its module, is hashed finely: its own code
(decorators included), the code of the declarations it calls, and the module's code outside
the declarations (imports, constants, helpers).  So editing one figure's function redraws that
figure only, while editing a helper recomputes everything in the module.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

from hw1.engine import deps, paths
from hw1.engine.declare import KINDS

CACHE_FILE = paths.DECLARATIONS_CACHE
FORMAT = 5
ENGINE_MODULES = ("hw1.engine", "hw1.engine.declare")   # where the decorators come from


class DiscoveryError(Exception):
    """A module of the document declares something the build cannot use; says where and why."""


class Declaration(NamedTuple):   # a NamedTuple: cheaper to define than a dataclass, on every build
    name: str                  # "gd.slope": how the .tex and messages name it
    kind: str                  # one of declare.KINDS
    module: str                # import name, "doc.gd"
    function: str              # "slope"
    file: str                  # "doc/gd.py"
    line: int                  # line of its ``def``
    inputs: tuple[str, ...]    # the experiments it reads (full names), by parameter
    wrong: bool                # a claim declared wrong=True: must fail, never shown
    code: str                  # hash of the code its result depends on, within its module
    imports: tuple[str, ...] = ()   # what running it imports, as its module's text shows

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def stem(self) -> str:
        """A file-name-safe form of the name: gd.slope -> gd-slope."""
        return self.name.replace(".", "-")


def natural(text: str) -> list:
    """Sort key that puts part6 before part10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def module_files(doc: Path | None = None) -> list[Path]:
    """The document's modules: the ``*.py`` files directly in its folder, in natural order."""
    doc = paths.DOC if doc is None else doc
    return sorted((p for p in doc.glob("*.py") if not p.name.startswith(("_", "."))),
                  key=lambda p: natural(p.name))


def module_name(path: Path) -> str:
    """The import name of a module of the document: doc/gd.py -> doc.gd."""
    parts = path.relative_to(paths.ROOT).with_suffix("").parts
    return ".".join(parts)


# -- reading one module ---------------------------------------------------------------------------
def _digest(node: ast.AST | list) -> str:
    dumped = ast.dump(node) if isinstance(node, ast.AST) else "\n".join(ast.dump(n) for n in node)
    return deps.sha256_bytes(dumped.encode())


def _decorator_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound to the engine's decorators or to its module: {"claim": "claim",
    "e": "<module>"} for ``from hw1.engine import claim`` and ``import hw1.engine as e``."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in ENGINE_MODULES and not node.level:
            for alias in node.names:
                if alias.name in KINDS:
                    names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ENGINE_MODULES:
                    names[alias.asname or alias.name] = "<module>"
    return names


def _kind(decorator: ast.expr, names: dict[str, str]) -> tuple[str | None, ast.Call | None]:
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    if isinstance(target, ast.Name) and names.get(target.id) in KINDS:
        return names[target.id], call
    if isinstance(target, ast.Attribute) and target.attr in KINDS:
        dotted = ast.unparse(target.value)
        if names.get(dotted) == "<module>" or dotted in ENGINE_MODULES:
            return target.attr, call
    return None, call


def _params(fn: ast.FunctionDef | ast.Lambda) -> list[str]:
    a = fn.args
    return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]


def _syntax_error(file: str, exc: SyntaxError) -> str:
    """``file:line: message``, then the line with a caret under where Python stopped."""
    lines = [f"{file}:{exc.lineno}: {exc.msg}"]
    text = (exc.text or "").rstrip("\n")
    if text.strip():
        gutter = f"  {exc.lineno} | "
        lines.append(gutter + text.expandtabs(4))
        if exc.offset and exc.offset >= 1:
            column = len(text[: exc.offset - 1].expandtabs(4))
            lines.append(" " * (len(gutter) - 2) + "| " + " " * column + "^")
    return "\n".join(lines)


def scan_source(source: bytes, file: str) -> dict:
    """What one module declares, as JSON-ready data (cached by the source's hash)."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        raise DiscoveryError(_syntax_error(file, exc)) from None
    names = _decorator_names(tree)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    aliases = _module_aliases(tree)
    summaries: dict[str, _Summary] = {}
    found, shared = [], []
    for node in tree.body:
        kinds = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kinds = [(k, call) for k, call in (_kind(d, names) for d in node.decorator_list) if k]
        if not kinds:
            shared.append(node)
            continue
        if len(kinds) > 1:
            raise DiscoveryError(f"{file}:{node.lineno}: {node.name} has two declarations "
                                 f"(@{kinds[0][0]} and @{kinds[1][0]}); give each its own function")
        kind, call = kinds[0]
        keywords = {k.arg: k.value for k in call.keywords if k.arg} if call else {}
        params = _params(node)
        extra: list[str] = []
        if kind == "claim" and "points" in keywords:   # the points function's parameters are inputs too
            p = keywords["points"]
            if isinstance(p, ast.Lambda):
                extra = _params(p)
            elif isinstance(p, ast.Name) and p.id in functions:
                extra = _params(functions[p.id])
        wrong = False
        if "wrong" in keywords:
            try:
                wrong = bool(ast.literal_eval(keywords["wrong"]))
            except ValueError:
                raise DiscoveryError(f"{file}:{node.lineno}: wrong= of claim {node.name} must be "
                                     "True or False written out, so the build can read it") from None
        if node.name not in summaries:
            summaries[node.name] = _summary(node)
        own = summaries[node.name]
        used = sorted(own.loaded - own.stored - set(params) - {node.name})
        start = [node] + ([functions[keywords["points"].id]] if kind == "claim" and isinstance(
            keywords.get("points"), ast.Name) and keywords["points"].id in functions else [])
        found.append({"function": node.name, "kind": kind, "line": node.lineno, "params": params,
                      "points_params": extra,
                      "set_by_decorator": sorted(keywords) if kind == "experiment" else [],
                      "wrong": wrong, "own": _digest(node), "used": used,
                      "imports": _runtime_imports(start, functions, aliases, summaries)})
    _check_once(tree, found, file)
    shared_used = sorted({n.id for s in shared for n in ast.walk(s) if isinstance(n, ast.Name)})
    return {"declarations": found, "shared": _digest(shared), "shared_used": shared_used}


def _check_once(tree: ast.Module, found: list[dict], file: str) -> None:
    """A declared name is bound once in its module: a second function (or class, or
    assignment) of the same name would silently replace the first when the module runs."""
    declared = {d["function"]: d for d in reversed(found)}      # the first of each name
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            continue
        for name in bound:
            first = declared.get(name)
            if first is not None and node.lineno != first["line"]:
                earlier, later = sorted((node.lineno, first["line"]))
                raise DiscoveryError(f"{file}:{later}: {name} is defined twice, at lines {earlier} and "
                                     f"{later} (the @{first['kind']} is at line {first['line']}); the second "
                                     "would replace the first when the module runs: give each its own name")


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Names the module's own imports bind, and the modules they come from: {"np": "numpy",
    "logistic": "hw1.logistic", "POINTS": "hw1.claims.POINTS"}."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.partition(".")[0]] = a.name if a.asname else a.name.partition(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


class _Summary(NamedTuple):
    """What one function's text binds, reads and imports (one walk of its tree)."""
    stored: frozenset[str]
    loaded: frozenset[str]
    imports: frozenset[str]


def _summary(fn: ast.AST) -> _Summary:
    stored, loaded, imports = set(), set(), set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Name):
            (stored if isinstance(n.ctx, ast.Store) else loaded).add(n.id)
        elif isinstance(n, ast.Import):
            imports |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            imports |= {f"{n.module}.{a.name}" for a in n.names}
    return _Summary(frozenset(stored), frozenset(loaded), frozenset(imports))


def _runtime_imports(start: list, functions: dict, aliases: dict[str, str], summaries: dict) -> list[str]:
    """What running these functions imports, as far as the module's text shows: the imports in
    their bodies and in the bodies of the module's functions they call, and the module-level
    imports they use by name.  (Which worker computes a declaration follows from it.)
    ``summaries`` holds each function's ``_summary``, made once per module."""
    seen, todo, found = set(), list(start), set()
    while todo:
        fn = todo.pop()
        if fn.name in seen:
            continue
        seen.add(fn.name)
        if fn.name not in summaries:
            summaries[fn.name] = _summary(fn)
        s = summaries[fn.name]
        found |= s.imports
        for name in s.loaded - s.stored - set(_params(fn)):
            if name in functions:
                todo.append(functions[name])
            elif name in aliases:
                found.add(aliases[name])
    return sorted(found)


# -- the cache of scans -------------------------------------------------------------------------
class _ScanCache:
    def __init__(self) -> None:
        self.entries: dict = {}
        self.dirty = False
        try:
            loaded = json.loads(paths.read_text(CACHE_FILE))
            if (isinstance(loaded, dict) and loaded.get("format") == FORMAT
                    and isinstance(loaded.get("entries"), dict)):
                self.entries = loaded["entries"]
        except (OSError, ValueError):
            pass

    def get(self, path: Path) -> dict:
        rel = paths.rel(path)
        key = f"{rel} {deps.sha256_file(path)}"
        entry = deps.unseal(key, self.entries.get(key))
        if not _valid_scan(entry):
            entry = scan_source(path.read_bytes(), rel)
            self.entries[key] = deps.seal(key, entry)
            self.dirty = True
        return entry

    def save(self) -> None:
        if not self.dirty:
            return
        live = {f"{paths.rel(p)} " for p in module_files()}
        entries = {k: v for k, v in self.entries.items() if k[: k.rfind(" ") + 1] in live}
        try:
            deps.write_state(CACHE_FILE, {"format": FORMAT, "entries": entries})
        except OSError:   # a cache that cannot be written only costs a re-scan next time
            pass
        self.dirty = False


def _valid_scan(entry) -> bool:
    """A cached scan has the shape scan_source gives; anything else is scanned again."""
    if not (isinstance(entry, dict) and isinstance(entry.get("declarations"), list)
            and isinstance(entry.get("shared"), str) and isinstance(entry.get("shared_used"), list)):
        return False
    fields = {"function": str, "kind": str, "line": int, "params": list, "points_params": list,
              "set_by_decorator": list, "wrong": bool, "own": str, "used": list, "imports": list}
    return all(isinstance(d, dict) and all(isinstance(d.get(k), t) for k, t in fields.items())
               and d["kind"] in KINDS and d["function"].isidentifier() for d in entry["declarations"])


@cache
def _scans() -> _ScanCache:
    return _ScanCache()


def save_cache() -> None:
    if _scans.cache_info().currsize:
        _scans().save()


# -- resolving a module's declarations ------------------------------------------------------------
def _resolve(path: Path, scan: dict) -> list[Declaration]:
    file, module, prefix = paths.rel(path), module_name(path), path.stem
    decls = {d["function"]: d for d in scan["declarations"]}

    def calls(names) -> set[str]:   # declarations reached from these names, transitively
        seen, todo = set(), [n for n in names if n in decls]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += [n for n in decls[name]["used"] if n in decls]
        return seen

    shared_calls = calls(scan["shared_used"])
    out = []
    for d in scan["declarations"]:
        where = f"{file}:{d['line']}"
        inputs = []
        for p in dict.fromkeys(d["params"] + d["points_params"]):
            if p in d["set_by_decorator"]:
                continue
            target = decls.get(p)
            if target is None:
                hint = (f"; @experiment sets parameters by keyword, e.g. @experiment({p}=...)"
                        if d["kind"] == "experiment" else "")
                known = ", ".join(k for k, v in decls.items() if v["kind"] == "experiment") or "none"
                raise DiscoveryError(f"{where}: parameter {p!r} of {d['kind']} {prefix}.{d['function']} "
                                     f"names no experiment of {file} (its experiments: {known}){hint}")
            if target["kind"] != "experiment":
                raise DiscoveryError(f"{where}: parameter {p!r} of {prefix}.{d['function']} names "
                                     f"a {target['kind']}; only experiments can be read by parameter")
            if p == d["function"]:
                raise DiscoveryError(f"{where}: {prefix}.{d['function']} reads itself")
            inputs.append(f"{prefix}.{p}")
        own = sorted(calls([d["function"], *d["used"]]) | shared_calls)
        hashed = " ".join([scan["shared"], *(decls[n]["own"] for n in own)])
        code = deps.sha256_bytes(hashed.encode())
        out.append(Declaration(f"{prefix}.{d['function']}", d["kind"], module, d["function"], file,
                               d["line"], tuple(inputs), d["wrong"], code, tuple(d["imports"])))
    return out


def declarations(doc: Path | None = None) -> list[Declaration]:
    """Every declaration of the document, in module (natural) and line order.  Raises
    DiscoveryError naming the file and line of the first problem found."""
    found: list[Declaration] = []
    for path in module_files(doc):
        found += _resolve(path, _scans().get(path))
    _check_cycles(found)
    return found


def _check_cycles(found: list[Declaration]) -> None:
    by_name = {d.name: d for d in found}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = trail[trail.index(name):] + [name]
            raise DiscoveryError(f"{by_name[name].where}: experiments read each other in a loop: "
                                 + " -> ".join(loop))
        state[name] = 1
        for i in by_name[name].inputs:
            visit(i, trail + [name])
        state[name] = 2

    for d in found:
        visit(d.name, [])


def by_name(found: list[Declaration]) -> dict[str, Declaration]:
    return {d.name: d for d in found}


def closest(name: str, candidates) -> list[str]:
    """Up to three known names closest to a misspelt one."""
    import difflib

    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
