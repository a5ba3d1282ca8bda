r"""Reading typed math with the document's notation: one row of a display into a relation chain.

``read_row(latex, notation)`` returns a ``Row``: its expressions and the relations between
them (``a = b = c``; a row starting with ``=`` continues the row before it).  Each expression
is a tree of ``Node``s whose leaves are the notation's symbols (``hw1.engine.notation``),
numbers, sizes and indices; ``hw1.engine.mathcheck`` evaluates them.

**Why a grammar of our own, on lark.**  Measured on this project's formulas (sympy 1.14,
latex2sympy2_extended): sympy's LaTeX parser (lark backend) rejects ``\mathbf{W}^{(2)} x``,
``\hat{w}^T x``, ``\sigma(z)`` and ``\frac{\partial}{\partial c} c^2`` outright;
latex2sympy2_extended reads ``\log`` as the logarithm to base 10, ``\mathbf{W}^{(2)}`` as W
squared, drops the ``^T`` of ``\hat{w}^T`` and renames N to n.  Neither knows that a symbol's
LaTeX may span a font, an accent and scripts, nor shapes (a product of matrices is not
commutative, ``^\top`` is a transpose).  So the structure of LaTeX math is a grammar
(``mathgrammar.lark``, read by lark's Earley parser: a maintained parser, no regular
expressions over the formula) and the meaning comes afterwards from the notation: the longest
run of a primary and its scripts that spells a declared symbol is that symbol, and what
follows it is an operation (``^\top`` transpose, ``^{-1}`` inverse, ``^2`` a power, ``^+`` the
positive part, ``_{i}`` an entry, ``'`` a function's derivative).

Standard meanings: ``\log`` (natural), ``\ln``, ``\exp``, ``e^{...}``, ``\tanh``, ``\sin``,
``\cos``, ``\tanh^2(\cdot)`` (entry by entry), ``\sqrt``, ``\frac``, ``\max``/``\min`` of two
arguments (element-wise),
``(\cdot)^+``, ``\operatorname{diag}``, ``\mathrm{ReLU}``, the indicator ``\mathbb{1}[\cdot]``,
``\delta_{ij}``, ``I``, ``\mathbf{I}`` and ``I_K`` (the identity; without its size, the size its
neighbour in a product needs), norms
``\|\cdot\|`` and ``\lVert\cdot\rVert``, ``|\cdot|``, ``\sum``/``\prod`` with limits,
``\odot`` (element-wise), ``\cdot`` (dot product of two vectors, else a product), ``/`` and
``\frac`` (by a scalar, or element-wise), ``\frac{\partial A}{\partial B}``,
``\frac{\partial}{\partial B}(\ldots)``, ``\frac{d A}{d B}`` and second derivatives
``\frac{\partial^2 A}{\partial B^2}``.  Reading fails with a ``ReadError`` that names the first
token it could not read and its offset in the row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from hw1.engine.notation import Notation, Symbol

GRAMMAR = Path(__file__).with_name("mathgrammar.lark")
BOLD = {r"\mathbf", r"\bm", r"\boldsymbol"}
BUILTIN_FUNCTIONS = {r"\log": "log", r"\ln": "log", r"\exp": "exp", r"\tanh": "tanh", r"\sin": "sin",
                     r"\cos": "cos", r"\max": "max", r"\min": "min", r"\operatorname{diag}": "diag",
                     r"\mathrm{diag}": "diag", r"\mathrm{ReLU}": "relu", r"\operatorname{ReLU}": "relu",
                     r"\operatorname{relu}": "relu", r"\mathrm{relu}": "relu", r"\sqrt": "sqrt"}
OPERATORS = {r"\cdot": "cdot", r"\times": "times", r"\odot": "odot", r"\circ": "odot", "/": "div"}
TRANSPOSE = {"T", r"\top", r"\mathsf{T}", r"\intercal", r"\mathrm{T}", r"\bm{T}"}
IDENTITY = {"I", r"\bm{I}", r"\mathrm{I}", r"\mathbb{I}"}
RELATIONS = {"=": "=", "<": "<", ">": ">", r"\le": "<=", r"\leq": "<=", r"\ge": ">=", r"\geq": ">=",
             r"\ne": "!=", r"\neq": "!="}


class ReadError(ValueError):
    """A row that cannot be read: ``what`` says why, ``offset`` where (in the row's text)."""

    def __init__(self, what: str, offset: int | None = None, token: str = ""):
        super().__init__(what)
        self.what, self.offset, self.token = what, offset, token


class Node:
    """One operation of an expression: ``op`` and its ``args``; ``src`` is the LaTeX it was
    read from (for messages)."""

    __slots__ = ("op", "args", "src")

    def __init__(self, op: str, args: tuple, src: str = ""):
        self.op, self.args, self.src = op, tuple(args), src

    def __repr__(self) -> str:
        return f"{self.op}{self.args!r}" if self.op not in ("sym", "num", "index", "size") else \
            f"{self.op}({self.args[0]!r})"

    def walk(self):
        yield self
        for a in self.args:
            if isinstance(a, Node):
                yield from a.walk()
            elif isinstance(a, (list, tuple)):
                for b in a:
                    if isinstance(b, Node):
                        yield from b.walk()


@dataclass(frozen=True)
class Row:
    """A relation chain: ``exprs[0] rels[0] exprs[1] rels[1] ...``; ``continued`` when the row
    starts with a relation (its first left side is the last expression of the row before)."""

    exprs: tuple[Node, ...]
    rels: tuple[str, ...]
    continued: bool


@functools.lru_cache(maxsize=1)
def parser():
    import lark

    return lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="earley", lexer="basic",
                     propagate_positions=True, ambiguity="resolve", start="start")


class Parses:
    """Parse trees kept across processes (``typed`` stores them in ``build/cache``): a tree as
    JSON, ``[rule, [children], start, end]`` and a token ``{"t": type, "v": text, "s": start,
    "e": end}``.  Earley parsing costs tens of milliseconds a formula; rebuilding a stored tree,
    microseconds.  ``known`` maps a formula's text to its stored tree; what is parsed anew is
    added to ``fresh``."""

    def __init__(self, known: dict | None = None):
        self.known = dict(known or {})
        self.fresh: dict = {}
        self.used: list[str] = []

    def parse(self, text: str):
        self.used.append(text)
        stored = self.known.get(text)
        if stored is not None:
            try:
                return _tree(stored)
            except (KeyError, IndexError, TypeError, ValueError):
                pass                      # a damaged entry: parsed again
        tree = _parse(text)
        self.fresh[text] = _json(tree)
        return tree


def _json(tree):
    import lark

    if isinstance(tree, lark.Token):
        return {"t": tree.type, "v": str(tree), "s": tree.start_pos, "e": tree.end_pos}
    if tree is None:
        return None
    meta = tree.meta
    start, end = (None, None) if getattr(meta, "empty", True) else (meta.start_pos, meta.end_pos)
    return [str(tree.data), [_json(k) for k in tree.children], start, end]


def _tree(data):
    import lark

    if data is None:
        return None
    if isinstance(data, dict):
        return lark.Token(data["t"], data["v"], start_pos=data["s"], end_pos=data["e"])
    rule, children, start, end = data
    tree = lark.Tree(rule, [_tree(k) for k in children])
    if start is not None:
        tree.meta.start_pos, tree.meta.end_pos, tree.meta.empty = start, end, False
    return tree


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    import lark

    try:
        return parser().parse(text)
    except lark.UnexpectedCharacters as exc:
        raise ReadError(f"cannot read `{text[exc.pos_in_stream:exc.pos_in_stream + 12]}`",
                        exc.pos_in_stream, text[exc.pos_in_stream:exc.pos_in_stream + 1]) from None
    except lark.UnexpectedEOF:
        raise ReadError("the formula ends too early (an unclosed bracket or a missing operand?)",
                        len(text)) from None
    except lark.UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise ReadError("the formula ends too early (an unclosed bracket or a missing operand?)",
                            len(text)) from None
        raise ReadError(f"unexpected `{tok}`", tok.start_pos, str(tok)) from None
    except lark.UnexpectedInput as exc:   # pragma: no cover - other lark errors
        raise ReadError(f"cannot read: {exc}", getattr(exc, "pos_in_stream", None)) from None


# -- canonical spellings ---------------------------------------------------------------------

def canon(tree) -> str:
    """A spelling's canonical text: what the grammar read, with braces, spacing and the choice
    of bold font normalised, so that ``\\bm y`` and ``\\mathbf{y}`` are the same spelling."""
    import lark

    if isinstance(tree, lark.Token):
        s = str(tree)
        return r"\bm" if s in BOLD else s
    kind, kids = tree.data, tree.children
    if kind in ("letter", "number", "command", "plus", "minus", "plus_arg"):
        return canon(kids[0]) if kids else ""
    if kind == "scripted":
        return canon(kids[0]) + "".join(canon(s) for s in kids[1:])
    if kind == "sup":
        return "^{" + canon(kids[1]) + "}"
    if kind == "sub":
        return "_{" + canon(kids[1]) + "}"
    if kind == "prime":
        return "'"
    if kind in ("font", "accent"):
        name = canon(kids[0])
        name = {r"\widehat": r"\hat", r"\widetilde": r"\tilde"}.get(name, name)
        return name + "{" + canon(kids[1]).replace(" ", "") + "}"
    if kind == "group":
        return canon(kids[0])
    if kind == "arglist":
        return ",".join(canon(k) for k in kids if k is not None)
    if kind == "product":
        return " ".join(canon(k) for k in kids)
    return " ".join(canon(k) for k in kids if k is not None)


# -- from the parse tree to Nodes --------------------------------------------------------------

class _Reader:
    def __init__(self, text: str, notation: Notation, spellings: dict[str, Symbol], bound=()):
        self.text, self.notation, self.spellings = text, notation, spellings
        self.bound = set(bound)       # index variables bound here (sums, a function's variable)
        # the most factors a spelling has (dW^{(2)} is two: d and W^{(2)})
        self.multi = max((k.count(" ") + 1 for k in spellings if " " in k), default=0)

    def src(self, tree) -> str:
        meta = getattr(tree, "meta", None)
        if meta is None or getattr(meta, "empty", True):
            return str(tree)
        start = meta.start_pos
        sizing = re.search(r"\\(left|[bB]igg?l?)\s*$", self.text[:start])   # \Bigl( is one bracket
        if sizing and self.text[start:start + 1] in "([|" or sizing and self.text.startswith("\\", start):
            start = sizing.start()
        return self.text[start:meta.end_pos]

    def fail(self, what: str, tree, token: str = ""):
        meta = getattr(tree, "meta", None)
        pos = getattr(tree, "start_pos", None)
        if meta is not None and not getattr(meta, "empty", True):
            pos = meta.start_pos
        raise ReadError(what, pos, token or self.src(tree))

    def row(self, tree) -> Row:
        kids = tree.children
        exprs, rels = [], []
        for k in kids:
            if getattr(k, "type", None) == "REL":
                rels.append(RELATIONS.get(str(k).strip(), str(k)))
            else:
                exprs.append(self.expr(k))
        return Row(tuple(exprs), tuple(rels), tree.data == "continuation")

    def expr(self, tree) -> Node:
        import lark

        if isinstance(tree, lark.Token):
            return self.token(tree, tree)
        kind, kids, src = tree.data, tree.children, self.src(tree)
        if kind == "add":
            return Node("add", (self.expr(kids[0]), self.expr(kids[2])), src)
        if kind == "sub":
            return Node("sub", (self.expr(kids[0]), self.expr(kids[2])), src)
        if kind == "neg":
            return Node("neg", (self.expr(kids[1]),), src)
        if kind == "pos":
            return self.expr(kids[1])
        if kind == "product":
            return self.product(tree)
        if kind == "scripted":
            return self.scripted(tree)
        if kind in ("letter", "number", "command"):
            return self.token(kids[0], tree)
        return self.primary(tree)

    def token(self, tok, tree) -> Node:
        s = str(tok)
        if tok.type in ("DIGIT", "NUMBER"):
            return Node("num", (float(s),), s)
        if s in self.bound:            # a function's variable (or a sum's index) before any symbol
            return Node("index", (s,), s)
        sym = self.spellings.get(canon(tok))
        if sym is not None:
            return self.symbol(sym, s)
        if s == "e":
            return Node("const", ("e",), s)
        if s == r"\pi":
            return Node("const", ("pi",), s)
        if s == "I" and "I" not in self.spellings:
            return Node("identity", (None,), s)
        if s in BUILTIN_FUNCTIONS:
            return Node("fn", (BUILTIN_FUNCTIONS[s],), s)
        if s in OPERATORS:
            return Node("op", (OPERATORS[s],), s)
        if tok.type == "LETTER":
            self.fail(f"unknown symbol `{s}` (not in the notation)", tok, s)
        self.fail(f"unknown token `{s}`", tok, s)

    def symbol(self, sym: Symbol, src: str) -> Node:
        if sym.kind == "function":
            return Node("fn", (sym,), src)
        if sym.kind == "size":
            return Node("size", (sym,), src)
        return Node("sym", (sym,), src)

    def primary(self, tree) -> Node:
        kind, kids, src = tree.data, tree.children, self.src(tree)
        if kind == "group":
            return self.expr(kids[0])
        if kind == "paren":
            return Node("paren", (self.expr(kids[1]),), src)
        if kind == "tuple":
            return Node("tuple", tuple(self.expr(k) for k in kids[1:-1]), src)
        if kind == "frac":
            return self.frac(tree)
        if kind == "partial":
            return self.partial(tree)
        if kind == "sqrt":
            return Node("apply", (Node("fn", ("sqrt",), "\\sqrt"), (self.expr(kids[1]),)), src)
        if kind in ("font", "accent"):
            key = canon(tree)
            sym = self.spellings.get(key)
            if sym is not None:
                return self.symbol(sym, src)
            if key in BUILTIN_FUNCTIONS:
                return Node("fn", (BUILTIN_FUNCTIONS[key],), src)
            if key in IDENTITY:
                return Node("identity", (None,), src)
            if key in TRANSPOSE:
                return Node("transpose-mark", (), src)
            self.fail(f"unknown symbol `{src}` (not in the notation)", tree)
        if kind == "norm":
            return Node("norm", (self.expr(kids[1]),), src)
        if kind == "abs":
            return Node("abs", (self.expr(kids[1]),), src)
        if kind == "indicator":
            cond = next(k for k in kids if getattr(k, "data", None) == "cond")
            a, rel, b = cond.children
            relation = RELATIONS.get(str(rel).strip(), str(rel))
            return Node("indicator", (self.expr(a), relation, self.expr(b)), src)
        if kind == "bigop":
            return self.bigop(tree)
        self.fail(f"cannot read `{src}`", tree)

    def frac(self, tree) -> Node:
        _, num, den = tree.children
        src = self.src(tree)
        d_num, d_den = self._d_parts(num), self._d_parts(den)
        if d_num is not None and d_den is not None and d_den:
            # \frac{d A}{d B} or \frac{d}{d B}
            wrt = self.expr(_rebuild(d_den, den))
            numerator = self.expr(_rebuild(d_num, num)) if d_num else None
            return self._deriv(numerator, wrt, 1, src, tree)
        return Node("frac", (self.expr(num), self.expr(den)), src)

    def _d_parts(self, tree):
        """The factors after a leading d (an undeclared letter d, or \\mathrm{d}), or None."""
        if getattr(tree, "data", None) == "scripted" and canon(tree) in ("d", r"\mathrm{d}"):
            return [] if "d" not in self.spellings and r"\mathrm{d}" not in self.spellings else None
        if getattr(tree, "data", None) != "product" or not tree.children:
            return None
        first = tree.children[0]
        if canon(first) in ("d", r"\mathrm{d}") and canon(first) not in self.spellings:
            return tree.children[1:]
        return None

    def partial(self, tree) -> Node:
        _, top, bottom = tree.children
        src = self.src(tree)
        order = self._order(top)
        wrt_tree = bottom.children[-1]
        if wrt_tree is None:
            self.fail("\\partial with nothing after it in the denominator", tree)
        if order > 1 and getattr(wrt_tree, "data", None) == "product" and len(wrt_tree.children) == 1:
            wrt_tree = wrt_tree.children[0]
        if order > 1 and getattr(wrt_tree, "data", None) == "scripted" \
                and wrt_tree.children[-1].data == "sup":
            import lark  # \partial c^2: the order, not a power (a new tree: parses are cached)

            wrt_tree = lark.Tree("scripted", wrt_tree.children[:-1], meta=wrt_tree.meta)
        wrt = self.expr(wrt_tree)
        numerator = self.expr(top.children[-1]) if top.children[-1] is not None else None
        return self._deriv(numerator, wrt, order, src, tree)

    def _order(self, part) -> int:
        kids = [k for k in part.children if k is not None]
        if len(kids) >= 3 and getattr(kids[1], "type", None) == "SUP":
            try:
                return int(canon(kids[2]))
            except ValueError:
                self.fail(f"the order of a derivative is a number, got {canon(kids[2])!r}", part)
        return 1

    def _deriv(self, numerator, wrt, order, src, tree) -> Node:
        base = wrt.args[0] if wrt.op == "elem" else wrt
        if base.op != "sym":
            self.fail(f"a derivative is taken with respect to a symbol of the notation, not `{wrt.src}`",
                      tree)
        if numerator is None:
            return Node("dop", (wrt, order), src)
        return Node("deriv", (numerator, wrt, order), src)

    def bigop(self, tree) -> Node:
        kids = tree.children
        op = str(kids[0]).strip("\\")
        scripts = [k for k in kids[1:-1]]
        lo = hi = var = None
        for s in scripts:
            arg = s.children[1]
            if s.data == "sub":
                if getattr(arg, "data", None) == "bound":
                    v, _, start = arg.children
                    var, lo = canon(v), start
                else:
                    var = canon(arg)
            elif s.data == "sup":
                hi = arg
        if var is None or lo is None or hi is None:
            self.fail(f"\\{op} needs its index and both limits, as \\{op}_{{i=1}}^{{K}}", tree)
        if var in self.spellings:
            self.fail(f"the index {var!r} of \\{op} is a symbol of the notation", tree)
        lo_node, hi_node = self.expr(lo), self.expr(_items(hi)[0])
        inner = _Reader(self.text, self.notation, self.spellings, self.bound | {var})
        body = inner.expr(kids[-1])
        return Node(op, (var, lo_node, hi_node, body), self.src(tree))

    def scripted(self, tree) -> Node:
        primary, scripts = tree.children[0], list(tree.children[1:])
        src = self.src(tree)
        # the longest run of the primary and its scripts that spells a symbol of the notation
        node, used = None, 0
        head = canon(primary)
        for k in range(len(scripts), 0, -1):
            key = head + "".join(canon(s) for s in scripts[:k])
            if key in self.spellings:
                node, used = self.symbol(self.spellings[key], src), k
                break
            last = scripts[k - 1]
            inner = canon(last.children[1]) if last.data == "sup" else ""
            for mark in (r"\top", "T", r"\mathsf{T}", r"\intercal"):     # W^{(2)\top}: W^{(2)}, transposed
                if inner.endswith(mark) and inner[: -len(mark)].strip():
                    key = head + "".join(canon(s) for s in scripts[:k - 1]) + \
                        "^{" + inner[: -len(mark)].strip() + "}"
                    if key in self.spellings:
                        node = Node("transpose", (self.symbol(self.spellings[key], src),), src)
                        used = k
                        break
            if node is not None:
                break
            if last.data == "sub" and getattr(last.children[1], "data", None) == "arglist" \
                    and len([c for c in last.children[1].children if c is not None]) > 1:
                items = [c for c in last.children[1].children if c is not None]
                key = head + "".join(canon(s) for s in scripts[:k - 1]) + "_{" + canon(items[0]) + "}"
                if key in self.spellings:
                    node = self.symbol(self.spellings[key], src)
                    node = Node("elem", (node, tuple(self.index(i) for i in items[1:])), src)
                    used = k
                    break
        if node is None:
            if canon(primary) == r"\delta" and r"\delta" not in self.spellings and scripts \
                    and scripts[0].data == "sub":
                items = _items(scripts[0].children[1])
                if len(items) == 1 and getattr(items[0], "data", None) == "product" \
                        and len(items[0].children) == 2:
                    items = items[0].children
                if len(items) != 2:
                    self.fail("\\delta_{ij} takes two indices", tree)
                node, used = Node("delta", tuple(self.index(i) for i in items), src), 1
            elif canon(primary) in IDENTITY and canon(primary) not in self.spellings and scripts \
                    and scripts[0].data == "sub":
                node, used = Node("identity", (self.expr(scripts[0].children[1]),), src), 1
            else:
                node = self.expr(primary)
        for s in scripts[used:]:
            node = self.script(node, s, src)
        return node

    def index(self, tree) -> Node:
        key = canon(tree)
        if key.isdigit():
            return Node("num", (float(key),), key)
        if key in self.spellings:
            sym = self.spellings[key]
            if sym.kind == "size":
                return Node("size", (sym,), key)
            self.fail(f"an index is a letter or a number; {key!r} is a symbol of the notation", tree)
        if len(key) == 1 and key.isalpha():
            return Node("index", (key,), key)
        return self.expr(tree)

    def script(self, node: Node, s, src: str) -> Node:
        if s.data == "prime":
            if node.op != "fn":
                self.fail(f"a prime marks a function's derivative; `{node.src}` is not a function", s)
            return Node("fderiv", (node,), src)
        arg = s.children[1]
        key = canon(arg)
        if s.data == "sup":
            if key in TRANSPOSE and ("T" not in self.spellings or key != "T"):
                return Node("transpose", (node,), src)
            if key == "-1":
                return Node("inverse", (node,), src)
            if key == "+":
                return Node("pospart", (node,), src)
            return Node("pow", (node, self.expr(_items(arg)[0])), src)
        # a subscript on something that is not (the start of) a symbol's spelling: its entries
        items = _items(arg)
        if node.op == "norm":
            return node if key == "2" else self.fail(f"only the 2-norm (or none) is read, not _{key}", s)
        if len(items) == 1 and getattr(items[0], "data", None) == "product" and \
                all(canon(c).isalnum() and len(canon(c)) == 1 for c in items[0].children):
            items = items[0].children          # _{ij}: two indices
        return Node("elem", (node, tuple(self.index(i) for i in items)), src)

    def _spelled_run(self, kids, i):
        """(symbol, end) when the factors kids[i:end] (two or more) spell a symbol, else None."""
        import lark

        if not self.multi:
            return None
        for j in range(min(len(kids), i + self.multi), i + 1, -1):
            part = kids[i:j]
            if any(isinstance(k, lark.Token) for k in part):
                continue
            key = " ".join(canon(k) for k in part)
            if key in self.spellings:
                return self.spellings[key], j
        return None

    def product(self, tree) -> Node:
        import lark

        items: list[Node] = []
        kids, i = list(tree.children), 0
        while i < len(kids):
            k = kids[i]
            if isinstance(k, lark.Token) and k.type == "MULOP":
                items.append(Node("op", (OPERATORS.get(str(k), "times"),), str(k)))
                i += 1
                continue
            run = self._spelled_run(kids, i)      # a spelling of several factors, as dW^{(2)}
            if run:
                sym, i = run
                items.append(self.symbol(sym, self.text[kids[0].meta.start_pos:kids[i - 1].meta.end_pos]
                                         if not kids[0].meta.empty else sym.name))
                continue
            items.append(self.expr(k) if getattr(k, "data", None) != "bigop" else self.bigop(k))
            i += 1
        src = self.src(tree)
        # applications, from the right: a function takes the bracket (or the factor) after it,
        # ∂/∂B the factor after it (so \frac{\partial}{\partial c}\log(x) differentiates the log)
        out: list[Node] = []
        for it in reversed(items):
            if it.op == "pow" and it.args[0].op in ("fn", "fderiv"):    # \tanh^2(z): the square of tanh(z)
                if not out or out[0].op == "op":
                    self.fail(f"`{it.src}` needs an argument after it", tree, it.src)
                arg = out.pop(0)
                args = arg.args if arg.op == "tuple" else (arg.args[0] if arg.op == "paren" else arg,)
                applied = Node("apply", (it.args[0], tuple(args)), it.src + arg.src)
                out.insert(0, Node("epow", (applied, it.args[1]), it.src + arg.src))
                continue
            if it.op in ("fn", "fderiv", "dop"):
                if not out or out[0].op == "op":
                    self.fail(f"`{it.src}` needs an argument after it", tree, it.src)
                arg = out.pop(0)
                if it.op == "dop":
                    out.insert(0, Node("deriv", (arg, it.args[0], it.args[1]), it.src + " " + arg.src))
                    continue
                args = arg.args if arg.op == "tuple" else (arg.args[0] if arg.op == "paren" else arg,)
                out.insert(0, Node("apply", (it, tuple(args)), it.src + arg.src))
                continue
            out.insert(0, it)
        if len(out) == 1:
            return out[0]
        factors, ops = [], []
        pending = "juxt"
        for it in out:
            if it.op == "op":
                pending = it.args[0]
                continue
            if factors:
                ops.append(pending)
            factors.append(it)
            pending = "juxt"
        return Node("mul", (tuple(factors), tuple(ops)), src)


def _items(arg):
    if getattr(arg, "data", None) == "arglist":
        return [c for c in arg.children if c is not None]
    return [arg]


def _rebuild(children, like):
    import lark

    if len(children) == 1:
        return children[0]
    return lark.Tree("product", list(children), meta=like.meta)


# -- the public functions ----------------------------------------------------------------------

def spellings(notation: Notation, parses: Parses | None = None) -> dict[str, Symbol]:
    """Canonical spelling -> symbol, for every spelling the notation declares."""
    out: dict[str, Symbol] = {}
    for sym in notation.symbols:
        for sp in sym.spellings:
            tree = parses.parse(sp) if parses is not None else _parse(sp)
            expr = tree.children[0]
            while getattr(expr, "data", None) == "product" and len(expr.children) == 1:
                expr = expr.children[0]
            key = canon(expr)
            if key in out and out[key] is not sym:
                raise ValueError(f"{sym!r}: its spelling {sp!r} reads as {out[key]!r}'s")
            out[key] = sym
    return out


def read_row(text: str, notation: Notation, *, spelled: dict[str, Symbol] | None = None,
             parses: Parses | None = None) -> Row:
    """One row of a display, read with ``notation`` (raises ReadError)."""
    if not text.strip():
        raise ReadError("empty row", 0)
    tree = parses.parse(text) if parses is not None else _parse(text)
    reader = _Reader(text, notation, spellings(notation) if spelled is None else spelled)
    return reader.row(tree)


def read_expr(text: str, notation: Notation, *, bound=(), spelled: dict[str, Symbol] | None = None,
              parses: Parses | None = None) -> Node:
    """One expression (a definition's formula, a function's meaning)."""
    tree = parses.parse(text) if parses is not None else _parse(text)
    if tree.data != "row" or len(tree.children) != 1:
        raise ReadError(f"expected a formula without a relation: {text!r}", 0)
    reader = _Reader(text, notation, spellings(notation) if spelled is None else spelled, bound)
    return reader.expr(tree.children[0])
