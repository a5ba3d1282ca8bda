r"""Checking typed math: every ``=`` step of a row, evaluated numerically at seeded points.

``check_row(row, notation)`` evaluates each side of each step of a ``mathread.Row`` at
``notation.points`` seeded points of every free symbol (drawn with the shape and domain the
notation declares, in float64) and compares them with ``claims.rel_err``, the measure claims
use: a step holds when the largest relative error over the points is at most ``TOL`` (1e-10,
the claims' default; the evaluation is a few float64 operations on numbers of order one, so a
right step lands near 1e-16).  ``<``, ``>``, ``\le``, ``\ge`` steps must hold at every point.

- **Values.** A scalar is a 0-d tensor, a vector a column (n, 1), a matrix (m, n).  A defined
  symbol is computed from its formula.  Juxtaposition is a matrix product when the inner sizes
  agree, a product by a scalar (or a 1×1 value) otherwise; a product whose sizes do not agree is
  an error naming both factors and their shapes.  A sum of a scalar and a vector (``1 - \hat y``)
  is element-wise; other sums need equal shapes.
- **Derivatives** ``\frac{\partial A}{\partial B}`` are computed by torch autograd through the
  definitions: B is replaced by a leaf with its value, A computed from it.  Numerator layout
  (the default): a row per entry of A, a column per entry of B, so ∂ℓ/∂ŷ is a 1×K row and
  ∂z/∂z a matrix; the derivative of a scalar by a matrix is arranged like the matrix.  A
  derivative of a vector by a matrix is a tensor: an error.
- **Diagnosis** of a step that fails: the two sides' shapes (with "the identity" where a side
  is one), "transposed", "opposite sign", or "factor c" (the right side is c times the left)
  when that fits every point to the tolerance.

torch is imported on first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from hw1.engine.claims import rel_err, worst
from hw1.engine.mathread import Node, ReadError, Row, read_expr, spellings
from hw1.engine.notation import Notation, Symbol

TOL = 1e-10


class CheckError(ValueError):
    """A side that cannot be evaluated (shapes that do not fit, a tensor-valued derivative)."""


class MissingValue(CheckError):
    """A free symbol a formula needs that the given point does not give (``\\checkedby``)."""


@dataclass(frozen=True)
class Step:
    """One relation of a row: ``left rel right``, its verdict and largest error."""

    left: str
    rel: str
    right: str
    ok: bool
    error: float           # max relative error over the points (inf: could not compare)
    tol: float
    points: int
    diagnosis: str = ""

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAIL"
        err = "-" if math.isinf(self.error) else f"{self.error:.2e}"
        why = f": {self.diagnosis}" if self.diagnosis else ""
        return f"{self.left} {self.rel} {self.right}: max rel. error {err} (tolerance {self.tol:.0e}) " \
               f"{verdict}{why}"


def _shape_text(shape) -> str:
    if len(shape) == 0 or tuple(shape) == (1, 1):
        return "a scalar"
    r, c = shape
    if c == 1:
        return f"a vector ({r}×1)"
    if r == 1:
        return f"a row (1×{c})"
    return f"a {r}×{c} matrix"


class Evaluator:
    """The values of expressions at one point (a dict symbol -> tensor of the free symbols);
    ``overrides`` replaces symbols (defined ones too) by given values, for derivatives."""

    def __init__(self, checker: Checker, point: dict, overrides: dict | None = None):
        self.checker, self.point = checker, point
        self.overrides = overrides or {}
        self.memo: dict = {}

    @property
    def torch(self):
        return self.checker.torch

    def symbol(self, sym: Symbol):
        if sym in self.overrides:
            return self.overrides[sym]
        if sym in self.memo:
            return self.memo[sym]
        if sym.kind == "define":
            value = self.value(self.checker.definition(sym), {})
        elif sym.kind == "size":
            value = self.torch.tensor(float(sym.value), dtype=self.torch.float64)
        else:
            if sym not in self.point:
                raise MissingValue(f"the point gives no value for {sym.name}")
            value = self.point[sym]
        self.memo[sym] = value
        return value

    def value(self, node: Node, idx: dict):
        t = self.torch
        op, a = node.op, node.args
        if op == "num":
            return t.tensor(a[0], dtype=t.float64)
        if op == "const":
            return t.tensor(math.e if a[0] == "e" else math.pi, dtype=t.float64)
        if op == "sym":
            return self.symbol(a[0])
        if op == "size":
            return t.tensor(float(a[0].value), dtype=t.float64)
        if op == "index":
            if a[0] not in idx:
                raise CheckError(f"the index {a[0]!r} has no value here")
            return t.tensor(float(idx[a[0]]), dtype=t.float64)
        if op == "paren":
            return self.value(a[0], idx)
        if op == "add":
            return self.add(self.value(a[0], idx), self.value(a[1], idx), node, 1)
        if op == "sub":
            return self.add(self.value(a[0], idx), self.value(a[1], idx), node, -1)
        if op == "neg":
            return -self.value(a[0], idx)
        if op == "mul":
            return self.mul(a[0], a[1], idx)
        if op == "frac":
            return self.divide(self.value(a[0], idx), self.value(a[1], idx), node)
        if op == "pow":
            base, e = self.value(a[0], idx), self.value(a[1], idx)
            if base.dim() and base.numel() != 1:
                raise CheckError(f"`{node.src}`: a power of {_shape_text(base.shape)} (`{a[0].src}`) is not "
                                 "read; write a product or \\odot")
            return base.reshape(()) ** e if e.numel() != 1 else base.reshape(()) ** e.reshape(())
        if op == "epow":                     # a function's power, \tanh^2(z): entry by entry
            return self.value(a[0], idx) ** self.value(a[1], idx)
        if op == "transpose":
            v = self.value(a[0], idx)
            return v if v.dim() == 0 else v.transpose(0, 1)
        if op == "inverse":
            v = self.value(a[0], idx)
            return 1 / v if v.dim() == 0 else t.linalg.inv(v)
        if op == "pospart":
            return t.relu(self.value(a[0], idx))
        if op == "norm":
            return t.sqrt(t.sum(self.value(a[0], idx) ** 2))
        if op == "abs":
            return t.abs(self.value(a[0], idx))
        if op == "indicator":
            left, right = self.value(a[0], idx), self.value(a[2], idx)
            return _compare(t, left, a[1], right).to(t.float64)
        if op == "delta":
            i, j = (self.value(x, idx) for x in a)
            return (i == j).to(t.float64)
        if op == "identity":
            if a[0] is None:
                raise CheckError(f"`{node.src}`: the identity's size is not known here; write I_K")
            n = int(self.value(a[0], idx).item())
            return t.eye(n, dtype=t.float64)
        if op == "elem":
            return self.elem(node, idx)
        if op in ("sum", "prod"):
            var, lo, hi, body = a
            lo_v, hi_v = (int(round(self.value(x, idx).item())) for x in (lo, hi))
            terms = [self.value(body, {**idx, var: k}) for k in range(lo_v, hi_v + 1)]
            if not terms:
                return t.tensor(0.0 if op == "sum" else 1.0, dtype=t.float64)
            out = terms[0]
            for term in terms[1:]:
                out = self.add(out, term, node, 1) if op == "sum" else out * term
            return out
        if op == "apply":
            return self.apply(a[0], a[1], idx, node)
        if op == "deriv":
            return self.derivative(a[0], a[1], a[2], idx, node)
        if op == "tuple":
            raise CheckError(f"`{node.src}`: a list of values is read only as a function's arguments")
        if op in ("fn", "fderiv", "dop"):
            raise CheckError(f"`{node.src}` needs an argument")
        raise CheckError(f"`{node.src}`: cannot evaluate {op}")

    def add(self, x, y, node, sign):
        if x.shape != y.shape:
            if x.numel() == 1 and x.dim() <= 2 and (x.dim() == 0 or y.dim() == 0 or y.numel() == 1):
                x, y = x.reshape(()), y.reshape(()) if y.numel() == 1 else y
            elif x.dim() == 0 or y.dim() == 0:
                pass                               # a scalar and a vector: element-wise
            elif x.numel() == 1 and y.numel() == 1:
                x, y = x.reshape(()), y.reshape(())
            else:
                what = "add" if sign > 0 else "subtract"
                raise CheckError(f"cannot {what} {_shape_text(x.shape)} and {_shape_text(y.shape)} "
                                 f"in `{node.src}`")
        return x + y if sign > 0 else x - y

    def divide(self, x, y, node):
        if y.numel() == 1:
            return x / y.reshape(())
        if x.numel() == 1:
            return x.reshape(()) / y
        if x.shape == y.shape:
            return x / y
        raise CheckError(f"cannot divide {_shape_text(x.shape)} by {_shape_text(y.shape)} in `{node.src}`")

    def mul(self, factors, ops, idx):
        t = self.torch
        def value(f, neighbour, right):
            if f.op == "identity" and f.args[0] is None:      # a bare I: the size its neighbour needs
                n = 1 if neighbour.dim() == 0 else neighbour.shape[1 if right else 0]
                return t.eye(n, dtype=t.float64)
            return self.value(f, idx)

        if factors[0].op == "identity" and factors[0].args[0] is None and len(factors) > 1:
            acc = value(factors[0], self.value(factors[1], idx), False)
        else:
            acc = self.value(factors[0], idx)
        acc_src = factors[0].src
        for op, f in zip(ops, factors[1:], strict=False):
            v = value(f, acc, True)
            if op == "div":
                acc = self.divide(acc, v, f)
            elif op == "odot":
                if acc.shape != v.shape and acc.numel() != 1 and v.numel() != 1:
                    raise CheckError(f"cannot multiply `{acc_src}` ({_shape_text(acc.shape)}) entry by entry "
                                     f"with `{f.src}` ({_shape_text(v.shape)})")
                acc = acc * v
            elif op == "cdot" and acc.dim() == 2 and v.dim() == 2 and acc.shape == v.shape \
                    and acc.shape[1] == 1 and acc.shape[0] > 1:
                acc = t.sum(acc * v)               # the dot product of two vectors
            elif acc.dim() == 0 or v.dim() == 0:
                acc = acc * v
            elif acc.shape[1] == v.shape[0]:
                acc = acc @ v
            elif acc.numel() == 1 or v.numel() == 1:
                acc = acc.reshape(()) * v if acc.numel() == 1 else acc * v.reshape(())
            else:
                raise CheckError(f"cannot multiply `{acc_src}` ({'×'.join(map(str, acc.shape))}) by "
                                 f"`{f.src}` ({'×'.join(map(str, v.shape))})")
            acc_src = f"{acc_src} {f.src}"
        return acc

    def elem(self, node, idx):
        base = self.value(node.args[0], idx)
        where = [int(round(self.value(i, idx).item())) for i in node.args[1]]
        shape = tuple(base.shape)
        if len(shape) == 2 and len(where) == 1:
            if shape[1] == 1:
                where = [where[0], 1]
            elif shape[0] == 1:
                where = [1, where[0]]
        if len(where) != len(shape):
            raise CheckError(f"`{node.src}`: {len(where)} index(es) into {_shape_text(shape)}")
        for w, n in zip(where, shape, strict=False):
            if not 1 <= w <= n:
                raise CheckError(f"`{node.src}`: index {w} out of 1..{n}")
        return base[tuple(w - 1 for w in where)]

    def apply(self, fn: Node, args, idx, node):
        t = self.torch
        values = [self.value(x, idx) for x in args]
        if fn.op == "fderiv":
            if len(values) != 1:
                raise CheckError(f"`{node.src}`: the derivative of a function of one variable")
            x = values[0]
            leaf = x.detach().clone().requires_grad_(True) if not x.requires_grad else x
            y = self.call(fn.args[0], [leaf], node)
            (g,) = t.autograd.grad(y.sum(), leaf, create_graph=True)
            return g
        return self.call(fn, values, node)

    def call(self, fn: Node, values, node):
        t = self.torch
        f = fn.args[0]
        if isinstance(f, Symbol):
            if len(values) != 1:
                raise CheckError(f"`{node.src}`: {f.name} takes one argument")
            if callable(f.meaning):
                return f.meaning(values[0])
            body, var = self.checker.function_body(f)
            return self.with_var(body, var, values[0])
        name = f
        if name in ("max", "min"):
            if len(values) != 2:
                raise CheckError(f"`{node.src}`: \\{name} of two arguments")
            a, b = values
            return t.maximum(a, b) if name == "max" else t.minimum(a, b)
        if len(values) != 1:
            raise CheckError(f"`{node.src}`: {name} takes one argument")
        v = values[0]
        if name == "diag":
            if v.dim() != 2 or v.shape[1] != 1:
                raise CheckError(f"`{node.src}`: diag of {_shape_text(v.shape)}; expected a vector")
            return t.diag(v[:, 0])
        return {"log": t.log, "exp": t.exp, "tanh": t.tanh, "sin": t.sin, "cos": t.cos, "relu": t.relu,
                "sqrt": t.sqrt}[name](v)

    def with_var(self, body: Node, var: str, value):
        return _VarEvaluator(self.checker, self.point, var, value).value(body, {})

    def derivative(self, num: Node, wrt: Node, order: int, idx, node):
        t = self.torch
        target = wrt.args[0] if wrt.op == "elem" else wrt
        sym = target.args[0]
        b0 = self.symbol(sym).detach()

        def f(b):
            return Evaluator(self.checker, self.point, {**self.overrides, sym: b}).value(num, idx)

        a0 = f(b0)
        if order > 1:
            if a0.numel() != 1 or b0.numel() != 1 or wrt.op == "elem":
                raise CheckError(f"`{node.src}`: higher derivatives are read for scalars only")
            leaf = b0.clone().requires_grad_(True)
            y = f(leaf)
            for _ in range(order):
                (y,) = t.autograd.grad(y.sum(), leaf, create_graph=True)
            return y.reshape(())
        jac = t.autograd.functional.jacobian(f, b0, create_graph=True)
        a_shape, b_shape = tuple(a0.shape), tuple(b0.shape)
        a_n, b_n = a0.numel(), b0.numel()
        if wrt.op == "elem":
            where = [int(round(self.value(i, idx).item())) for i in wrt.args[1]]
            if len(b_shape) == 2 and len(where) == 1:
                where = [where[0], 1] if b_shape[1] == 1 else [1, where[0]]
            jac = jac.reshape(a_shape + b_shape)[(...,) + tuple(w - 1 for w in where)]
            return jac
        is_matrix = len(b_shape) == 2 and b_shape[0] > 1 and b_shape[1] > 1
        if is_matrix:
            if a_n != 1:
                raise CheckError(f"`{node.src}` is a tensor ({_shape_text(a_shape)} by "
                                 f"{_shape_text(b_shape)}): a derivative of a vector by a matrix is not read")
            return jac.reshape(b_shape)
        if a_n == 1 and b_n == 1:
            return jac.reshape(())
        m = jac.reshape(a_n, b_n)
        return m if self.checker.notation.layout == "numerator" else m.transpose(0, 1)


class _VarEvaluator(Evaluator):
    """Evaluates a function's meaning with its variable bound to a value."""

    def __init__(self, checker, point, var, value):
        super().__init__(checker, point)
        self.var, self.var_value = var, value

    def value(self, node, idx):
        if node.op == "index" and node.args[0] == self.var:
            return self.var_value
        return super().value(node, idx)


def _compare(t, left, rel, right):
    return {"=": left == right, "<": left < right, ">": left > right, "<=": left <= right,
            ">=": left >= right, "!=": left != right}[rel]


class Checker:
    """Checks rows against one notation (its readings of definitions cached)."""

    def __init__(self, notation: Notation, parses=None):
        import torch

        self.torch = torch
        self.notation = notation
        self.parses = parses                  # mathread.Parses: stored parse trees, or None
        self.spelled = spellings(notation, parses)
        self._definitions: dict = {}
        self._functions: dict = {}
        self._points = None

    def definition(self, sym: Symbol) -> Node:
        if sym not in self._definitions:
            self._definitions[sym] = None          # a cycle is caught below
            try:
                node = read_expr(sym.meaning, self.notation, spelled=self.spelled, parses=self.parses)
            except ReadError as exc:
                raise CheckError(f"the definition of {sym.name} ({sym.meaning!r}) cannot be read: "
                                 f"{exc.what}") from None
            self._definitions[sym] = node
        node = self._definitions[sym]
        if node is None:
            raise CheckError(f"the definition of {sym.name} refers to itself")
        return node

    def function_body(self, sym: Symbol):
        if sym not in self._functions:
            try:
                node = read_expr(sym.meaning, self.notation, bound=(sym.var,), spelled=self.spelled,
                                 parses=self.parses)
            except ReadError as exc:
                raise CheckError(f"the meaning of {sym.name} ({sym.meaning!r}) cannot be read: "
                                 f"{exc.what}") from None
            self._functions[sym] = node
        return self._functions[sym], sym.var

    def points(self) -> list[dict]:
        """Seeded values of every free symbol (the same for every row: a row's steps compare
        values at the same points)."""
        if self._points is None:
            t = self.torch
            gen = t.Generator().manual_seed(self.notation.seed)
            out = []
            for _ in range(self.notation.points):
                point = {}
                for sym in self.notation.symbols:
                    if sym.kind not in ("scalar", "vector", "matrix"):
                        continue
                    shape = tuple(self.notation.size_value(d) for d in sym.shape)
                    z = t.randn(shape, generator=gen, dtype=t.float64)
                    if sym.domain == "positive":
                        z = t.exp(z)
                    elif sym.domain == "unit":
                        z = 0.05 + 0.9 * t.rand(shape, generator=gen, dtype=t.float64)
                    elif sym.domain == "binary":
                        z = (z > 0).to(t.float64)
                    point[sym] = z
                out.append(point)
            self._points = out
        return self._points

    def free_indices(self, node: Node, bound=()) -> list[str]:
        found: list[str] = []

        def visit(n, bound):
            if n.op == "index" and n.args[0] not in bound and n.args[0] not in found:
                found.append(n.args[0])
            if n.op in ("sum", "prod"):
                visit(n.args[1], bound)
                visit(n.args[2], bound)
                visit(n.args[3], set(bound) | {n.args[0]})
                return
            for a in n.args:
                if isinstance(a, Node):
                    visit(a, bound)
                elif isinstance(a, tuple):
                    for b in a:
                        if isinstance(b, Node):
                            visit(b, bound)

        visit(node, set(bound))
        return found

    def index_ranges(self, nodes, free) -> dict[str, int]:
        """The range of each free index: the size of what it indexes (all uses must agree)."""
        ranges: dict[str, int] = {}
        ev = Evaluator(self, self.points()[0])
        for root in nodes:
            for n in root.walk():
                if n.op == "elem":
                    try:
                        shape = tuple(ev.value(n.args[0], {k: 1 for k in free}).shape)
                    except CheckError:
                        continue
                    where = list(n.args[1])
                    if len(shape) == 2 and len(where) == 1:
                        shape = (shape[0],) if shape[1] == 1 else (shape[1],)
                    for w, size in zip(where, shape, strict=False):
                        if w.op == "index" and w.args[0] in free:
                            name = w.args[0]
                            if ranges.get(name, size) != size:
                                raise CheckError(f"the index {name!r} runs over {ranges[name]} entries "
                                                 f"in one place and {size} in another")
                            ranges[name] = size
        missing = [f for f in free if f not in ranges]
        if missing:
            raise CheckError(f"the range of the index {missing[0]!r} is not known: it indexes no vector "
                             "or matrix here")
        return ranges

    def evaluate_all(self, node: Node, idx_sets) -> list:
        """The value of ``node`` at every point and index assignment."""
        out = []
        for point in self.points():
            ev = Evaluator(self, point)
            for idx in idx_sets:
                out.append(ev.value(node, idx).detach())
        return out

    def check_row(self, row: Row, previous: Node | None = None) -> list[Step]:
        exprs = list(row.exprs)
        if row.continued:
            if previous is None:
                raise CheckError("the row starts with a relation but no row before it ends with a formula")
            exprs = [previous, *exprs]
        steps = []
        for left, rel, right in zip(exprs, row.rels, exprs[1:], strict=False):
            steps.append(self.check_step(left, rel, right))
        return steps

    def check_step(self, left: Node, rel: str, right: Node) -> Step:
        import itertools

        t = self.torch
        n_points = self.notation.points
        free = self.free_indices(left)
        free += [f for f in self.free_indices(right) if f not in free]
        step = dict(left=left.src, rel=rel, right=right.src, tol=TOL, points=n_points)
        try:
            ranges = self.index_ranges([left, right], free) if free else {}
        except CheckError as exc:
            return Step(ok=False, error=math.inf, diagnosis=str(exc), **step)
        idx_sets = [dict(zip(free, combo, strict=False)) for combo in
                    itertools.product(*(range(1, ranges[f] + 1) for f in free))] or [{}]
        values, problems = [], []
        for side, node in (("left", left), ("right", right)):
            try:
                values.append(self.evaluate_all(node, idx_sets))
            except CheckError as exc:
                problems.append((side, str(exc)))
            except (RuntimeError, ValueError, ArithmeticError, IndexError) as exc:   # torch's own complaints
                first = str(exc).splitlines()[0] if str(exc) else ""
                problems.append((side, f"cannot be evaluated: {type(exc).__name__}: {first}"))
        if problems:
            text = problems[0][1] if len(problems) == 1 else \
                "; ".join(f"{side} side: {why}" for side, why in problems)
            return Step(ok=False, error=math.inf, diagnosis=text, **step)
        lv, rv = values
        if rel != "=":
            holds = all(bool(_compare(t, a, rel, b).all()) for a, b in zip(lv, rv, strict=False))
            return Step(ok=holds, error=0.0 if holds else math.inf, diagnosis="" if holds else
                        f"the relation {rel} does not hold at every point", **step)
        ls, rs = tuple(lv[0].shape), tuple(rv[0].shape)
        if _norm(ls) != _norm(rs):
            return Step(ok=False, error=math.inf, diagnosis=self.shape_diagnosis(lv, rv), **step)
        import numpy as np

        a = np.stack([x.reshape(_norm(ls)).numpy() for x in lv])
        b = np.stack([x.reshape(_norm(ls)).numpy() for x in rv])
        # normwise at each point: an entry-by-entry formula is compared as the whole matrix
        per_point = len(idx_sets)
        largest = worst(rel_err(a[k:k + per_point], b[k:k + per_point]) for k in range(0, len(a), per_point))
        if not np.isfinite(largest):
            return Step(ok=False, error=math.inf, diagnosis="a side is not finite at some point", **step)
        ok = largest <= TOL
        return Step(ok=ok, error=largest, diagnosis="" if ok else diagnose(a, b), **step)

    def shape_diagnosis(self, lv, rv) -> str:
        ls, rs = _norm(tuple(lv[0].shape)), _norm(tuple(rv[0].shape))
        import numpy as np

        def describe(values, shape):
            text = _shape_text(shape)
            if len(shape) == 2 and shape[0] == shape[1] and shape[0] > 1 and all(
                    np.allclose(v.numpy(), np.eye(shape[0]), rtol=0, atol=1e-12) for v in values):
                text += " (the identity)"
            elif len(shape) == 0 and len({round(float(v), 12) for v in values}) == 1:
                text = f"the scalar {float(values[0]):g}"
            return text

        note = ""
        if len(ls) == 2 and len(rs) == 2 and ls == rs[::-1]:
            a = np.stack([v.numpy() for v in lv])
            b = np.stack([v.numpy().T for v in rv])
            if worst(rel_err(x, y) for x, y in zip(a, b, strict=False)) <= TOL:
                note = "; transposed"
        return f"the left side is {describe(lv, ls)}, the right side {describe(rv, rs)}{note}"


def _norm(shape):
    return () if len(shape) == 0 or shape == (1, 1) else shape


def diagnose(a, b) -> str:
    """What a failing step's right side ``b`` is, compared with its left ``a`` (both stacked
    over the points): opposite sign, a constant factor, or nothing simple ('')."""
    import numpy as np

    if worst(rel_err(x, -y) for x, y in zip(a, b, strict=False)) <= TOL:
        return "opposite sign"
    denom = float(np.sum(a * a))
    if denom > 0:
        c = float(np.sum(a * b)) / denom
        if c != 0 and worst(rel_err(c * x, y) for x, y in zip(a, b, strict=False)) <= 1e-8:
            frac = Fraction(c).limit_denominator(100)
            text = str(frac) if abs(float(frac) - c) <= 1e-9 * abs(c) else f"{c:.6g}"
            return f"the right side is {text} times the left (factor {text})"
    if a.ndim == 3 and a.shape[1] == a.shape[2]:
        if worst(rel_err(x.T, y) for x, y in zip(a, b, strict=False)) <= TOL:
            return "transposed"
    if np.all(b == 0):
        return "the right side is zero"
    return ""


def check_rows(rows: list[Row], notation: Notation, checker: Checker | None = None) -> list[list[Step]]:
    """The steps of consecutive rows (a row starting with = continues the one before)."""
    checker = Checker(notation) if checker is None else checker
    out, previous = [], None
    for row in rows:
        out.append(checker.check_row(row, previous))
        previous = row.exprs[-1] if row.exprs else previous
    return out
