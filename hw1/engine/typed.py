r"""Typed display math: found in the document's ``.tex`` files, read with its notation, checked,
and marked in the PDF row by row.

- **Where.** Every display of a ``.tex`` file of the document (``equation``, ``align``,
  ``gather``, ``multline``, ``flalign``, ``alignat``, ``eqnarray``, ``displaymath``, starred or
  not, ``\[...\]``, ``$$...$$``; comments dropped).  ``doc/x.tex`` is read with the notation
  ``NOTATION`` of the module beside it, ``doc/x.py`` (``hw1.engine.notation``).  Macros the
  document defines with ``\newcommand``/``\renewcommand`` (arguments ``#1``...) and
  ``\DeclareMathOperator`` (as ``\operatorname``) are expanded first.
- **Rows.** ``align``, ``gather`` and ``flalign`` have a row per ``\\`` (outside braces); each
  row is a relation chain, and a row starting with a relation continues the row before.
  ``equation`` (with a ``split`` or ``aligned`` inside, a row per ``\\`` of it), ``multline``
  and ``\[...\]`` are one display with one mark.  ``\label``, ``\tag``, ``\nonumber``, spacing and
  a final ``,`` or ``.`` are not read.
- **Marks.** A row whose steps all hold gets the claims' mark (✓ and the largest relative error):
  the build writes ``\hwsettyped{<file>:<line of the display's end>}{{mark}{mark}...}`` into
  ``verified-typed.tex``, and ``verified.sty`` adds each mark at the end of its row (a numbered
  row keeps its number).  ``\unchecked`` anywhere in a display marks every row of it "not
  machine-checked", and nothing of it is read.  ``$$...$$``, ``alignat`` and ``eqnarray`` are
  checked but carry no mark (TeX cannot wrap them).
- **Verdicts.** A step that does not hold stops the build at its row's line, with the step, the
  largest error and the diagnosis.  A row that cannot be read (an unknown symbol, no notation) or
  holds no relation (an expression, text) is not checked: unless the display is marked
  ``\unchecked``, the build warns and ``invoke check --strict`` fails, naming the row and why.
- **Checked by references.** ``\checkedby{module.name}`` inside a display (nothing typeset)
  checks it against the points and references of ``name = references(points=..., against=...)``
  (or of a ``@claim``) in ``module.py`` beside the ``.tex``: every side of every row is evaluated
  at each point (the point's keys are the notation's symbols, by spelling or name; a symbol the
  row needs must be given) and compared with each reference with ``rel_err`` and the claims'
  tolerance.  A side that differs stops the build at its row, naming the reference and the
  largest error; a name that is not such a declaration, a key that names no symbol, a symbol the
  points do not give, stop it too (``TypedError``).
- **Cache.** A display's verdict is kept in ``build/cache/typed.json`` under the hash of its
  text, of its notation's module (its module-level code and the functions that code names, not
  the declarations' bodies: editing a figure checks nothing again) and of the project modules
  that one imports, and of this engine code (a display with ``\checkedby``: and of the whole
  source of the module it names and of what that imports: editing the references checks it
  again); a build imports the notation (and torch and lark) only for a display it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hw1.engine import paths

SPLIT_ENVS = ("align", "gather", "flalign")
WHOLE_ENVS = ("equation", "multline")
UNWRAPPED = ("alignat", "eqnarray", "displaymath")
ENVS = SPLIT_ENVS + WHOLE_ENVS + UNWRAPPED
BEGIN = re.compile(r"\\begin\{(%s)(\*?)\}" % "|".join(ENVS))
STARTS = re.compile(BEGIN.pattern + r"|(?<!\\)\\\[|(?<!\\)\$\$")
MARK = re.compile(r"\\unchecked(?![A-Za-z@])")
CHECKEDBY = re.compile(r"\\checkedby\s*\{([^{}]*)\}")
NOT_READ = re.compile(r"\\(label|tag\*?|eqref|ref)\s*\{[^{}]*\}|\\(nonumber|notag|unchecked)(?![A-Za-z@])"
                      r"|\\checkedby\s*\{[^{}]*\}")
CACHE_FILE = "typed.json"
ENGINE_FILES = ("notation.py", "mathread.py", "mathcheck.py", "mathgrammar.lark", "typed.py")


@dataclass
class Piece:
    """One row of a display: its text (as read) and the line it starts on."""

    line: int
    text: str
    problem: str = ""             # why it is not checked ('' when checked)
    steps: list = field(default_factory=list)   # [{"left", "rel", "right", "ok", "error", "diagnosis"}]
    mark: bool = True             # this row carries a mark of its own in the PDF

    @property
    def failed(self) -> list[dict]:
        return [s for s in self.steps if not s["ok"]]

    @property
    def error(self) -> float:
        return max((s["error"] for s in self.steps), default=0.0)


@dataclass
class Display:
    file: str                     # doc/x.tex
    line: int                     # of its start
    end_line: int                 # of its end: TeX's key for its marks
    what: str                     # \begin{align}, \[, $$
    env: str                      # align, align*, equation, \[, $$
    body: str
    unchecked: bool
    checkedby: str | None = None  # module.name of the references(...) or @claim that check it
    pieces: list[Piece] = field(default_factory=list)
    fresh: bool = False           # read and checked by this build (not from the cache)

    @property
    def key(self) -> str:
        return f"{Path(self.file).name}:{self.end_line}"


# -- finding displays and their rows ------------------------------------------------------------

def strip_comments(text: str) -> str:
    return re.sub(r"(?<!\\)%[^\n]*", "", text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _group(text: str, start: int) -> int:
    """The offset just after the brace group opening at ``start`` (or -1)."""
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def split_rows(body: str) -> list[tuple[int, str]]:
    r"""(offset, text) of each piece of ``body`` between ``\\`` outside braces (as TeX's
    ``\seq_set_split`` cuts it)."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and body.startswith("\\\\", i) and depth == 0:
            out.append((start, body[start:i]))
            i += 2
            start = i
            continue
        if ch == "\\":
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        i += 1
    out.append((start, body[start:]))
    return out


def chains(row: str) -> list[tuple[int, str]]:
    r"""(offset, text) of the equations of one row: ``a = b, & c = d`` and ``a = b, \qquad c = d``
    are two (a comma, outside braces and brackets, followed by ``&`` or a ``\quad``)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(row):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "," and depth == 0 and re.match(r",\s*(&|\\q?quad(?![A-Za-z]))", row[i:]):
            out.append((start, row[start:i]))
            start = i + 1
    out.append((start, row[start:]))
    return [(o, t) for o, t in out if t.strip()]


def clean_row(text: str) -> str:
    """A row as the reader sees it: no labels, tags, marks, \\\\ options, final punctuation."""
    text = re.sub(r"^\s*\*?\s*\[[^\]]*\]", "", text)     # the [2pt] of \\[2pt]
    text = re.sub(r"^\s*\*", "", text)
    text = NOT_READ.sub(" ", text)
    return re.sub(r"[\s,.;]+$", "", text).strip()


def find_displays(path: Path, text: str | None = None, macros: dict | None = None) -> list[Display]:
    """Every display of ``path``, with its rows (macros expanded in the rows' text)."""
    rel = paths.rel(path)
    raw = path.read_text(encoding="utf-8", errors="replace") if text is None else text
    code = strip_comments(raw)
    found, pos = [], 0
    while True:
        m = STARTS.search(code, pos)
        if not m:
            break
        if m.group(1):
            env = m.group(1) + m.group(2)
            close = f"\\end{{{env}}}"
            end = code.find(close, m.end())
            what = f"\\begin{{{env}}}"
        elif m.group(0) == "\\[":
            env, close = "\\[", "\\]"
            end, what = code.find(close, m.end()), "\\["
        else:
            env, close = "$$", "$$"
            end, what = code.find(close, m.end()), "$$"
        stop = end if end >= 0 else len(code)
        body = code[m.end(): stop]
        if env.rstrip("*") == "alignat":
            body = re.sub(r"^\s*\{[^{}]*\}", lambda g: " " * len(g.group(0)), body)
        by = CHECKEDBY.search(body)
        d = Display(rel, _line(code, m.start()), _line(code, stop), what, env, body, bool(MARK.search(body)),
                    by.group(1).strip() if by else None)
        d.pieces = _pieces(d, code, m.end(), macros or {})
        found.append(d)
        pos = len(code) if end < 0 else end + len(close)
    return found


def _pieces(d: Display, code: str, offset: int, macros: dict) -> list[Piece]:
    base = d.env.rstrip("*")
    nested = re.search(r"\\begin\{(split|aligned)\}(.*)\\end\{\1\}", d.body, re.DOTALL)
    if base in SPLIT_ENVS or base in UNWRAPPED and "\\begin{" not in d.body:
        parts, mark_each = split_rows(d.body), base in SPLIT_ENVS
        start = offset
    elif nested and base in ("equation", "\\[", "$$") and not d.body[:nested.start()].strip(" \n\\[]{}"):
        parts, mark_each = split_rows(nested.group(2)), False
        start = offset + nested.start(2)
    else:
        joined = d.body.replace("\\\\", " ") if base == "multline" else d.body
        parts, mark_each, start = [(0, joined)], False, offset
    pieces = []
    for off, text in parts:
        lead = re.match(r"\s*\*?\s*(?:\[[^\]]*\])?\s*", text).end()     # after a \\[2pt]'s option
        row = clean_row(text)
        if not row:
            continue
        row = expand(row, macros)
        pieces.append(Piece(_line(code, start + off + lead), row, mark=mark_each))
    if pieces and not mark_each:
        pieces[-1].mark = True       # one mark for the display: its last row carries it
        for p in pieces[:-1]:
            p.mark = False
    return pieces


# -- macros ---------------------------------------------------------------------------------

NEWCOMMAND = re.compile(r"\\(?:newcommand|renewcommand|providecommand|DeclareMathOperator)\*?\s*"
                        r"(?:\{\s*(\\[A-Za-z@]+)\s*\}|(\\[A-Za-z@]+))\s*(?:\[(\d)\])?\s*(?:\[[^\]]*\])?\s*\{")


def macros_of(texts: list[str]) -> dict[str, tuple[int, str]]:
    """{\\name: (number of arguments, body)} of the macros ``texts`` define."""
    out: dict[str, tuple[int, str]] = {}
    for text in texts:
        code = strip_comments(text)
        for m in NEWCOMMAND.finditer(code):
            end = _group(code, m.end() - 1)
            if end < 0:
                continue
            body = code[m.end(): end - 1]
            if m.group(0).lstrip("\\").startswith("DeclareMathOperator"):
                body = r"\operatorname{%s}" % body
            out[m.group(1) or m.group(2)] = (int(m.group(3) or 0), body)
    return out


def expand(text: str, macros: dict, depth: int = 0) -> str:
    """``text`` with the document's macros replaced by their bodies (arguments substituted)."""
    if not macros or depth > 10:
        return text
    pattern = re.compile(r"(%s)(?![A-Za-z@])" % "|".join(re.escape(k) for k in sorted(macros, key=len,
                                                                                      reverse=True)))
    out, pos, changed = [], 0, False
    for m in pattern.finditer(text):
        if m.start() < pos:
            continue
        nargs, body = macros[m.group(1)]
        i, args = m.end(), []
        for _ in range(nargs):
            while i < len(text) and text[i].isspace():
                i += 1
            if i < len(text) and text[i] == "{":
                end = _group(text, i)
                if end < 0:
                    break
                args.append(text[i + 1: end - 1])
                i = end
            elif i < len(text):
                args.append(text[i])
                i += 1
        if len(args) != nargs:
            continue
        for k, a in enumerate(args, start=1):
            body = body.replace(f"#{k}", a)
        glue = " " if nargs == 0 and re.search(r"\\[A-Za-z@]+$", body) else ""   # \macro x: keep x apart
        out += [text[pos: m.start()], "{" + body + "}" if nargs else body + glue]
        pos, changed = i, True
    out.append(text[pos:])
    result = "".join(out)
    return expand(result, macros, depth + 1) if changed else result


# -- checking -------------------------------------------------------------------------------

class TypedError(Exception):
    """A notation that cannot be loaded (the message names the module)."""


def _engine_hash() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in ENGINE_FILES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def _module_for(tex: Path) -> Path | None:
    py = tex.with_suffix(".py")
    return py if py.is_file() else None


def _module_level(source: bytes) -> str:
    """The module's code that can make its NOTATION: every statement at module level but the
    definitions of functions and classes, and the definitions it names (``meaning=_sigmoid``),
    transitively.  A declaration's body (a figure's plotting code) is not in it, so editing one
    does not check the typed displays again."""
    import ast

    tree = ast.parse(source)
    definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    defs = {n.name: n for n in tree.body if isinstance(n, definition)}
    kept = [n for n in tree.body if not isinstance(n, definition)]
    names: set[str] = set()
    todo = list(kept)
    while todo:
        node = todo.pop()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in names:
                names.add(sub.id)
                todo.append(defs[sub.id])
    return ast.dump(ast.Module(body=kept + [defs[n] for n in sorted(names)], type_ignores=[]))


def _notation_key(module: Path | None) -> str:
    """What the displays of a file are checked with: its module's code that makes the notation,
    and the sources of the project modules that module imports."""
    if module is None:
        return "none"
    from hw1.engine import deps
    from hw1.engine.discover import module_name

    own = paths.rel(module)
    try:
        closure = {rel: h for rel, h in deps.closure(module_name(module)).items() if rel != own}
        closure[own] = deps.sha256_bytes(_module_level(module.read_bytes()).encode())
    except (ValueError, SyntaxError, OSError):
        closure = {own: deps.sha256_file(module)}
    return hashlib.sha256(json.dumps(closure, sort_keys=True).encode()).hexdigest()[:16]


def _backing_key(tex: Path, name: str) -> str:
    r"""What a display's ``\checkedby{module.name}`` checks it with: the whole source of that
    module (its points and references are in it) and of the project modules it imports."""
    from hw1.engine import deps
    from hw1.engine.discover import module_name

    module = tex.parent / f"{name.partition('.')[0]}.py"
    if not module.is_file():
        return "none"
    try:
        closure = deps.closure(module_name(module))
    except (ValueError, SyntaxError, OSError):
        closure = {paths.rel(module): deps.sha256_file(module)}
    return hashlib.sha256(json.dumps([name, closure], sort_keys=True).encode()).hexdigest()[:16]


def _import_beside(module: Path, failed: str):
    """Import a document's module (``doc/x.py``, from the project's root); TypedError starting
    with ``failed`` if it raises."""
    import importlib

    from hw1.engine.discover import module_name

    if str(paths.ROOT) not in sys.path:
        sys.path.insert(0, str(paths.ROOT))
    try:
        return importlib.import_module(module_name(module))
    except Exception as exc:
        raise TypedError(f"{failed}: {type(exc).__name__}: {exc}") from None


def load_notation(module: Path):
    """The ``NOTATION`` of a document's module (None if it defines none)."""

    from hw1.engine.notation import Notation

    text = module.read_text(encoding="utf-8", errors="replace")
    if "NOTATION" not in text:
        return None
    mod = _import_beside(module, f"{paths.rel(module)} cannot be imported for its NOTATION")
    notation = getattr(mod, "NOTATION", None)
    if notation is not None and not isinstance(notation, Notation):
        raise TypedError(f"{paths.rel(module)}: NOTATION is a {type(notation).__name__}, expected a "
                         "hw1.engine.notation.Notation")
    return notation


def _check_display(d: Display, notation, checker) -> None:
    """Read and check the rows of ``d`` (sets each piece's steps or problem)."""
    from hw1.engine.mathcheck import CheckError
    from hw1.engine.mathread import ReadError, read_row

    previous = None
    for piece in d.pieces:
        if notation is None:
            piece.problem = f"no notation to read it with ({paths.rel(Path(d.file).with_suffix('.py'))} " \
                            "defines no NOTATION)"
            previous = None
            continue
        steps = []
        for offset, chain in chains(piece.text):     # a, & b = c: two equations on one row
            try:
                row = read_row(chain, notation, spelled=checker.spelled, parses=checker.parses)
            except ReadError as exc:
                col = "" if exc.offset is None else f", column {offset + exc.offset + 1} of the row"
                token = f" at `{exc.token}`" if exc.token else ""
                piece.problem = f"cannot be read{token}{col}: {exc.what}"
                break
            if not row.rels:
                piece.problem = "holds no relation (=, <, ...): nothing to check"
                previous = row.exprs[-1]
                break
            try:
                steps += checker.check_row(row, previous)
            except CheckError as exc:
                piece.problem = str(exc)
                break
            previous = row.exprs[-1]
        if piece.problem:
            previous = None if "relation" not in piece.problem else previous
            continue
        piece.steps = [{"left": s.left, "rel": s.rel, "right": s.right, "ok": s.ok, "error": s.error,
                        "diagnosis": s.diagnosis, "points": s.points, "tol": s.tol} for s in steps]


# -- displays checked by a declaration's references (\checkedby{module.name}) ------------------

@dataclass
class Backing:
    r"""The points and references a ``\checkedby`` names: ``points`` as the author gave them."""

    label: str                    # module.name
    points: list
    against: object
    tol: float


def backing(tex: Path, d: Display) -> Backing:
    r"""What ``\checkedby{module.name}`` in ``d`` names: a ``references(points=, against=)`` or a
    ``@claim`` of the module ``module.py`` beside ``tex``, its points computed (TypedError, at the
    display's file:line, for a name that is not one, or points that cannot be made)."""
    import inspect

    from hw1.engine.claims import DEFAULT_TOL
    from hw1.engine.declare import References, declared

    where = f"{d.file}:{d.line}: \\checkedby{{{d.checkedby}}}"
    stem, _, name = (d.checkedby or "").partition(".")
    if not stem or not name.isidentifier():
        raise TypedError(f"{where}: expected module.name (a references(...) or @claim of a module beside "
                         f"{d.file})")
    module = tex.parent / f"{stem}.py"
    if not module.is_file():
        raise TypedError(f"{where}: there is no module {paths.rel(module)}")
    mod = _import_beside(module, f"{where}: {paths.rel(module)} cannot be imported")
    obj = getattr(mod, name, None)
    record = declared(obj) if obj is not None else None
    if isinstance(obj, References):
        points, against, tol = obj.points, obj.against, obj.tol
    elif record is not None and record.kind == "claim":
        points, against, tol = (record.options.get(k) for k in ("points", "against", "tol"))
    else:
        known = [k for k, v in vars(mod).items() if isinstance(v, References)
                 or (callable(v) and getattr(declared(v), "kind", None) == "claim")]
        what = "there is no such name" if obj is None else f"it is a {type(obj).__name__}"
        raise TypedError(f"{where}: {name} of {paths.rel(module)} is not a references(points=..., "
                         f"against=...) or a @claim ({what}); known: {', '.join(known) or 'none'}")
    if not callable(points) or not callable(against):
        raise TypedError(f"{where}: {name} needs points= and against= (functions), to check the display with")
    if any(p.default is p.empty for p in inspect.signature(points).parameters.values()):
        raise TypedError(f"{where}: points= of {name} reads experiments; a display is checked with points "
                         "that need no data")
    try:
        made = list(points())
    except Exception as exc:
        raise TypedError(f"{where}: points= of {name} raised {type(exc).__name__}: {exc}") from None
    if not made or not all(isinstance(p, dict) for p in made):
        raise TypedError(f"{where}: points= of {name} gave no points (expected a list of dicts)")
    return Backing(d.checkedby, made, against, DEFAULT_TOL if tol is None else float(tol))


def _symbol_for(key, notation, checker):
    """The notation's symbol a point's key names (a spelling, or a sympy symbol's name), or None."""
    from hw1.engine.mathread import ReadError, read_expr

    text = key if isinstance(key, str) else getattr(key, "name", str(key))
    for sym in notation.symbols:
        if text in sym.spellings:
            return sym
    try:
        node = read_expr(text, notation, spelled=checker.spelled, parses=checker.parses)
    except ReadError:
        return None
    return node.args[0] if node.op == "sym" else None


def _torch_point(point: dict, notation, checker, where: str) -> dict:
    """A point of a Backing as mathcheck's point: {Symbol: float64 tensor of the notation's shape}."""
    import numpy as np

    out = {}
    for key, value in point.items():
        sym = _symbol_for(key, notation, checker)
        if sym is None:
            raise TypedError(f"{where}: the point's key {key!r} names no symbol of the notation")
        if sym.kind == "size":
            if np.ndim(value) != 0 or float(value) != sym.value:
                raise TypedError(f"{where}: the point gives {key!r} = {value!r}, the notation's size "
                                 f"{sym.name} is {sym.value}")
            continue
        if sym.kind not in ("scalar", "vector", "matrix"):
            raise TypedError(f"{where}: the point's key {key!r} names the {sym.kind} {sym.name}: a point "
                             "gives values of free symbols (scalars, vectors, matrices)")
        shape = tuple(notation.size_value(s) for s in sym.shape)
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape and not (sym.kind != "matrix" and arr.size == max(1, int(np.prod(shape)))):
            raise TypedError(f"{where}: the point gives {key!r} of shape {arr.shape}, the notation declares "
                             f"{sym.name} of shape {shape}")
        out[sym] = checker.torch.tensor(arr.reshape(shape), dtype=checker.torch.float64)
    return out


def _check_by(d: Display, notation, checker, by: Backing) -> None:
    r"""Check the rows of ``d`` against ``by``: every side of every row, evaluated at each of its
    points, is compared with each reference there (``rel_err``, ``by.tol``); one step per side and
    reference.  A point's key that names no symbol, or a symbol a row needs that the points do not
    give, is a TypedError at the row's line."""
    import numpy as np

    from hw1.engine.claims import not_finite, rel_err
    from hw1.engine.mathcheck import CheckError, Evaluator, MissingValue, diagnose
    from hw1.engine.mathread import ReadError, read_row

    where = f"{d.file}:{d.line}: \\checkedby{{{by.label}}}"
    if notation is None:
        raise TypedError(f"{where}: {paths.rel(Path(d.file).with_suffix('.py'))} defines no NOTATION to read "
                         "the display with")
    points = [_torch_point(p, notation, checker, where) for p in by.points]
    refs = []
    for number, point in enumerate(by.points, 1):
        try:
            got = {m: np.asarray(v, dtype=np.float64) for m, v in by.against(point).items()}
        except Exception as exc:
            raise TypedError(f"{where}: against= raised {type(exc).__name__}: {exc} "
                             f"at point {number}") from None
        if not got:
            raise TypedError(f"{where}: against= gave no references")
        for m, v in got.items():
            if not_finite(v):
                raise TypedError(f"{where}: the reference {m!r} is not finite ({not_finite(v)}) "
                                 f"at point {number}")
        refs.append(got)
    previous = None
    for piece in d.pieces:
        sides = []
        for _, chain in chains(piece.text):
            try:
                row = read_row(chain, notation, spelled=checker.spelled, parses=checker.parses)
            except ReadError as exc:
                piece.problem = f"cannot be read{f' at `{exc.token}`' if exc.token else ''}: {exc.what}"
                break
            if not row.rels or any(r != "=" for r in row.rels):
                piece.problem = "a display checked by references holds equations (=) only"
                break
            exprs = list(row.exprs)
            if row.continued:
                if previous is None:
                    piece.problem = "the row starts with = but no row before it ends with a formula"
                    break
                exprs = [previous, *exprs]
            sides += [e for e in exprs if e.src not in {s.src for s in sides}]
            previous = row.exprs[-1]
        if piece.problem:
            previous = None
            continue
        steps = []
        for side in sides:
            if checker.free_indices(side):
                piece.problem = f"`{side.src}` holds a free index: it cannot be compared with references"
                break
            values, trouble = [], ""
            for point in points:
                try:
                    values.append(Evaluator(checker, point).value(side, {}).detach().numpy())
                except MissingValue as exc:
                    raise TypedError(f"{d.file}:{piece.line}: \\checkedby{{{by.label}}}: {exc} "
                                     f"(`{side.src}` needs it)") from None
                except (CheckError, RuntimeError, ValueError, ArithmeticError, IndexError) as exc:
                    trouble = f"cannot be evaluated: {exc}".splitlines()[0]
                    break
            for method in refs[0]:
                step = dict(left=side.src, rel="=", right=f"reference {method!r} of {by.label}", tol=by.tol,
                            points=len(points))
                worst, why = 0.0, trouble
                for number, (value, ref) in enumerate(zip(values, refs, strict=False), 1):
                    want = ref.get(method)
                    if why:
                        break
                    if want is None or value.size != want.size:
                        why = (f"the side has shape {value.shape}, the reference "
                               f"{'none' if want is None else want.shape}")
                    elif not_finite(value):
                        why = f"the side is not finite ({not_finite(value)}) at point {number}"
                    else:
                        worst = max(worst, rel_err(value.reshape(want.shape), want))
                if why:
                    steps.append({**step, "ok": False, "error": float("inf"), "diagnosis": why})
                    continue
                ok = worst <= by.tol
                diagnosis = "" if ok else diagnose(np.stack([v.reshape(r[method].shape) for v, r in
                                                             zip(values, refs, strict=False)]),
                                                   np.stack([r[method] for r in refs]))
                steps.append({**step, "ok": ok, "error": worst, "diagnosis": diagnosis})
        if not piece.problem:
            piece.steps = steps


@dataclass
class Report:
    displays: list[Display]
    checked_now: int              # displays read and checked by this call (not from the cache)

    def failures(self) -> list[str]:
        out = []
        for d in self.displays:
            for p in d.pieces:
                for s in p.failed:
                    err = "" if s["error"] == float("inf") else \
                        f"max rel. error {s['error']:.2e} over {s['points']} points, tolerance {s['tol']:.0e}"
                    why = "; ".join(x for x in (err, s["diagnosis"]) if x)
                    out.append(f"{d.file}:{p.line}: typed formula does not hold: "
                               f"`{s['left']} {s['rel']} {s['right']}`: {why}")
        return out

    def findings(self) -> list:
        """Rows of displays not marked \\unchecked that were not checked: why, at file:line."""
        from hw1.engine.texscan import Finding

        out = []
        for d in self.displays:
            if d.unchecked:
                continue
            rows = [p for p in d.pieces if p.problem]
            if not d.pieces:
                out.append(Finding(d.file, d.line, f"display math {d.what} is not machine-checked: it is "
                                                   "empty of formulas; mark it \\unchecked"))
            several = len(d.pieces) > 1
            for p in rows:
                which = f" (row at line {p.line})" if several else ""
                out.append(Finding(d.file, p.line, f"display math {d.what}{which} is not machine-checked: "
                                                   f"{p.problem}; declare its symbols in the notation, or "
                                                   "mark the display \\unchecked"))
        return out

    def marks(self) -> str:
        """The LaTeX that gives each wrapped display its marks, one per row."""
        from hw1.engine.fragments import header, mark

        lines = [header("the typed display math of the document").rstrip("\n")]
        for d in self.displays:
            if d.unchecked or d.env.rstrip("*") in UNWRAPPED or d.env == "$$":
                continue
            marks, group = [], []
            for p in d.pieces:
                group.append(p)
                if not p.mark:
                    continue
                ok = all(q.steps and not q.problem and not q.failed for q in group)
                marks.append(mark(max(q.error for q in group)) if ok else "")
                group = []
            if any(marks):
                items = "".join("{\\hwtypedmark{%s}}" % m if m else "{}" for m in marks)
                lines.append(r"\hwsettyped{%s}{%s}" % (d.key, items))
        return "\n".join(lines) + "\n"

    def rows(self) -> list[tuple[str, str, float, str, bool]]:
        """(where, formula, max rel. error, tolerance, ok) of every checked step, for ``invoke check``."""
        out = []
        for d in self.displays:
            for p in d.pieces:
                for s in p.steps:
                    equal = s["rel"] == "="       # an inequality holds or not, at every point
                    out.append((f"{d.file}:{p.line}", f"{s['left']} {s['rel']} {s['right']}",
                                s["error"] if equal else float("inf"),
                                f"<= {s['tol']:.0e}" if equal else "holds", s["ok"]))
        return out


def _load_cache() -> dict:
    try:
        data = json.loads((paths.CACHE / CACHE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _valid(entry) -> bool:
    return isinstance(entry, list) and all(
        isinstance(p, dict) and isinstance(p.get("problem"), str) and isinstance(p.get("steps"), list)
        for p in entry)


def check_document(doc: Path | None = None, *, use_cache: bool = True) -> Report:
    """Find, read and check every display of the document's ``.tex`` files."""
    from hw1.engine import deps
    from hw1.engine.texscan import tex_files

    doc = paths.DOC if doc is None else doc
    files = tex_files(doc)
    texts = {f: f.read_text(encoding="utf-8", errors="replace") for f in files}
    main = paths.MAIN_TEX
    preamble = [main.read_text(encoding="utf-8", errors="replace")] if main.is_file() else []
    macros = macros_of(preamble + list(texts.values()))
    cache = _load_cache() if use_cache else {}
    engine = _engine_hash()
    displays, fresh, used = [], 0, {}
    notations: dict = {}
    parses = None           # the stored parse trees, loaded at the first display not in the cache
    for path in files:
        module = _module_for(path)
        key_n = None
        for d in find_displays(path, texts[path], macros):
            displays.append(d)
            if d.unchecked:
                continue
            if key_n is None:
                key_n = _notation_key(module)
            by_key = _backing_key(path, d.checkedby) if d.checkedby else None
            key = deps.sha256_bytes(json.dumps([engine, key_n, by_key, d.env,
                                                [(p.text, p.mark) for p in d.pieces]]).encode())
            entry = deps.unseal(key, cache.get(key))
            if _valid(entry) and len(entry) == len(d.pieces):
                for p, e in zip(d.pieces, entry, strict=True):
                    p.problem, p.steps = e["problem"], e["steps"]
            else:
                if module not in notations:
                    notation = load_notation(module) if module is not None else None
                    checker = None
                    if notation is not None:
                        from hw1.engine.mathcheck import Checker

                        if parses is None:
                            parses = _load_parses() if use_cache else None
                        checker = Checker(notation, parses)
                    notations[module] = (notation, checker)
                notation, checker = notations[module]
                if d.checkedby:
                    _check_by(d, notation, checker, backing(path, d))
                else:
                    _check_display(d, notation, checker)
                d.fresh = True
                fresh += 1
            used[key] = deps.seal(key, [{"problem": p.problem, "steps": p.steps} for p in d.pieces])
    if use_cache and used != cache:
        paths.CACHE.mkdir(parents=True, exist_ok=True)
        deps.write_state(paths.CACHE / CACHE_FILE, used)
    if parses is not None and parses.fresh:
        _save_parses(parses)
    return Report(displays, fresh)


PARSES_FILE = "mathparse.json"
PARSES_KEPT = 4000     # stored parse trees (a few kB each at most)


def _load_parses():
    """The parse trees earlier builds stored (``mathread.Parses``), each entry sealed with its hash."""
    from hw1.engine import deps
    from hw1.engine.mathread import Parses

    try:
        data = json.loads((paths.CACHE / PARSES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    known, engine = {}, _engine_hash()
    if isinstance(data, dict):
        for text, entry in data.items():
            tree = deps.unseal(f"{engine} {text}", entry)
            if tree is not None:
                known[text] = tree
    return Parses(known)


def _save_parses(parses) -> None:
    from hw1.engine import deps

    engine = _engine_hash()
    # what this build parsed or read first, then older entries, at most PARSES_KEPT of them
    merged = {**parses.fresh, **{t: parses.known[t] for t in parses.used if t in parses.known}}
    for text, tree in parses.known.items():
        if len(merged) >= PARSES_KEPT:
            break
        merged.setdefault(text, tree)
    deps.write_state(paths.CACHE / PARSES_FILE,
                     {text: deps.seal(f"{engine} {text}", tree) for text, tree in merged.items()})


MARKS_FILE = "verified-typed.tex"


def for_build(echo=None) -> list:
    """What the build runs: check the typed displays, write their marks for TeX, return the
    findings (rows not checked); a step that does not hold raises BuildError at its row.
    ``echo`` hears one line when displays were read and checked now (not from the cache)."""
    from hw1.engine import deps
    from hw1.engine.store import BuildError

    try:
        report = check_document()
    except TypedError as exc:
        raise BuildError(str(exc)) from None
    if report.checked_now and echo is not None:
        fresh = [d for d in report.displays if d.fresh]
        steps = sum(len(p.steps) for d in fresh for p in d.pieces)
        files = ", ".join(dict.fromkeys(d.file for d in fresh))
        echo(f"typed math: {len(fresh)} display(s) read and checked, {steps} step(s) ({files})")
    failures = report.failures()
    if failures:
        raise BuildError("\n".join(failures[:10]) + (f"\n... and {len(failures) - 10} more"
                                                      if len(failures) > 10 else ""))
    target = paths.GENERATED / MARKS_FILE
    text = report.marks()
    try:
        same = target.read_text(encoding="utf-8") == text
    except OSError:
        same = False
    if not same:
        deps.write_atomic(target, text)
    return report.findings()
