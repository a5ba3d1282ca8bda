"""Claims: the formulas a document displays, with the numbers that prove them.

A claim is an equation ``lhs = rhs`` built from sympy objects (symbols made with
``hw1.engine.printing``'s ``matrix``, ``scalar``, ``indexed``).  Its ``.latex`` is what the
engine's printer (``hw1.engine.printing``) makes of it and is what the document shows,
verbatim.  Its ``.verify()`` evaluates the *same* ``rhs`` object numerically (lambdify) on
seeded points and compares the result with independent references (torch autograd, a
hand-written implementation, ...: whatever the declaration's ``against=`` returns).  The error
measure is the normwise relative error ``rel_err``; a claim holds when the largest error over
its points and references is at most its tolerance (1e-10 unless stated).

Claims are declared in the document's modules with ``@claim`` (see ``hw1.engine.declare``);
``all_claims()`` finds every one of them, wherever it is declared::

    >>> from hw1.engine import claims
    >>> for claim in claims.all_claims():
    ...     print(claim.name, claim.verify().ok)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

DEFAULT_TOL = 1e-10
POINTS = 8   # seeded points a claim is usually checked on

Values = Mapping[str, object]


def rel_err(a, b) -> float:
    """The normwise relative error max|a - b| / max(max|a|, max|b|) (0 when both are 0); nan
    when ``a`` or ``b`` holds a value that is not finite (nan or inf: no error is measured)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    if scale == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        err = float(np.max(np.abs(a - b)) / scale)
    if not np.isfinite(err):     # a - b overflowed (entries near the largest float): scale first
        err = float(np.max(np.abs(a / scale - b / scale)))
    return err


def worst(errors) -> float:
    """The largest of ``errors`` (0 for none), and nan as soon as one is nan: Python's ``max``
    keeps a nan only when it comes first (``max(0.0, nan)`` is 0.0), so an error of nan at a
    later point would pass unseen."""
    out = 0.0
    for err in errors:
        if math.isnan(err):
            return math.nan
        out = max(out, err)
    return out


def not_finite(value: np.ndarray) -> str | None:
    """'nan', 'inf', or 'nan at entry (1, 2)' for an array that holds a value that is not
    finite (the first one, its indices from 1 as printed); None when every entry is finite."""
    bad = np.flatnonzero(~np.isfinite(value))
    if bad.size == 0:
        return None
    first = tuple(int(k) for k in np.unravel_index(bad[0], value.shape))
    text = str(float(value[first]))
    printed = tuple(k + 1 for k in first)      # indices as the PDF prints them, from 1
    return text if value.size == 1 else f"{text} at entry {printed[0] if len(printed) == 1 else printed}"


def _at(number: int, points: Sequence) -> str:
    """"point 2 of 8 (x=0.5)": which point, for a message."""
    point = points[number - 1]
    shown = describe_point(point) if isinstance(point, Mapping) else ""
    return f"point {number} of {len(points)}" + (f" ({shown})" if shown else "")


def describe_point(point: Values, limit: int = 80) -> str:
    """A point's numbers in one short line for a message: "x=0.5, N=3" (arrays by their shape)."""
    parts = []
    for key, val in point.items():
        if isinstance(val, (bool, int, float, np.integer, np.floating)):
            parts.append(f"{key}={val:.6g}" if isinstance(val, (float, np.floating)) else f"{key}={val}")
        elif isinstance(val, (list, tuple, np.ndarray)):
            parts.append(f"{key}: {np.shape(val)} array")
    text = ", ".join(parts)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class ClaimResult:
    name: str
    ok: bool
    max_rel_err: float
    tol: float
    points: int
    method: str
    reason: str = ""
    where: str = ""       # file:line of the claim's declaration
    # the exception the author's points= or against= code raised: the claim could not be
    # checked at all (a formula that cannot be evaluated is a failed claim, not an error)
    error: BaseException | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"FAILED ({self.reason or 'error above tolerance'})"
        at = f" ({self.where})" if self.where else ""
        return (f"{self.name}{at}: max rel. error {self.max_rel_err:.2e} over {self.points} points "
                f"(tolerance {self.tol:.0e}, vs {self.method}) {verdict}")


class Claim:
    """``lhs = rhs``, printed by sympy and checked numerically.

    - ``points()`` returns the seeded numeric points: dicts from symbol names to values.
    - ``reference(point)`` returns ``{method: array}``, the independently computed truth.
    """

    def __init__(self, name: str, lhs, rhs, *, points: Callable[[], Sequence[Values]],
                 reference: Callable[[Values], Mapping[str, np.ndarray]], tol: float = DEFAULT_TOL,
                 where: str = "", order: str = "none"):
        self.name, self.lhs, self.rhs = name, lhs, rhs
        self.points, self.reference = points, reference
        self.tol = tol
        self.where = where      # file:line of its declaration, for messages
        self.order = order      # the printer's term order (the document's claim_order setting)

    def __repr__(self) -> str:
        return f"Claim({self.name!r}: {self.latex})"

    @cached_property
    def latex(self) -> str:
        """The equation as the document shows it (an ``align`` row: ``lhs &= rhs``).  A string
        ``lhs`` is the author's own LaTeX, used as it is."""
        from hw1.engine.printing import latex

        lhs = self.lhs if isinstance(self.lhs, str) else latex(self.lhs, self.order)
        return f"{lhs} &= {latex(self.rhs, self.order)}"

    @cached_property
    def space(self) -> str:
        """LaTeX of where the left side lives, e.g. ``\\in \\mathbb{R}^{K \\times d}`` ('' if unknown)."""
        from hw1.engine.printing import latex

        rows, cols = getattr(self.lhs, "shape", (1, 1)) if not isinstance(self.lhs, str) else (None, None)
        if rows is None:
            return ""
        if rows == 1 and cols == 1:
            return r"\in \mathbb{R}"
        if cols == 1:
            return r"\in \mathbb{R}^{%s}" % latex(rows)
        return r"\in \mathbb{R}^{%s \times %s}" % (latex(rows), latex(cols))

    @cached_property
    def _args(self) -> list:
        import sympy as sp

        # the free symbols, less the entries x[i] of indexed vectors (their base is an argument)
        free = [s for s in self.rhs.free_symbols if not isinstance(s, sp.Indexed)]
        return sorted(free, key=lambda s: s.name)

    @cached_property
    def _fn(self):
        from hw1.engine.printing import lambdify

        return lambdify(self._args, self.rhs)

    def evaluate(self, point: Values) -> np.ndarray:
        """The value of ``rhs`` at a point: the printed expression, evaluated by numpy."""
        missing = [a.name for a in self._args if a.name not in point]
        if missing:
            raise ValueError(f"claim {self.name}: the point has no value for {missing}")
        return np.asarray(self._fn(*(point[a.name] for a in self._args)), dtype=np.float64)

    def verify(self) -> ClaimResult:
        """Evaluate on every point, compare with every reference; never raises.  An error in
        the formula's evaluation fails the claim; one in the code that makes the points or the
        references (``points=``, ``against=``) is kept in ``error``, with where it was raised."""
        from hw1.engine.printing import shape_problem

        methods: list[str] = []
        problem = shape_problem(self.rhs)
        worst, count = 0.0, 0
        stage = "points="
        try:
            points = list(self.points()) if problem is None else []
            for number, point in enumerate(points, 1):
                try:
                    with np.errstate(all="ignore"):     # an overflow is caught below, by its inf
                        got = self.evaluate(point)
                except Exception as exc:  # a formula that cannot be evaluated is a failed claim
                    problem = f"evaluation failed: {type(exc).__name__}: {exc}"
                    break
                bad = not_finite(got)
                if bad:       # nan compares as nothing: it must never pass as an error of 0
                    problem = f"the formula is not finite ({bad}) at {_at(number, points)}"
                    break
                stage = "against="
                for method, want in self.reference(point).items():
                    want = np.asarray(want, dtype=np.float64)
                    if method not in methods:
                        methods.append(method)
                    if got.size != want.size:
                        problem = f"value has shape {got.shape}, the reference {want.shape}"
                        break
                    bad = not_finite(want)
                    if bad:
                        problem = f"the reference {method!r} is not finite ({bad}) at {_at(number, points)}"
                        break
                    err = rel_err(got.reshape(want.shape), want)
                    if not np.isfinite(err):
                        problem = f"the error against {method!r} is not finite at {_at(number, points)}"
                        break
                    worst = max(worst, err)
                count += 1
                if problem:
                    break
        except Exception as exc:  # the author's points= or against= code failed: not checked
            from hw1.engine.paths import raised_at

            at = raised_at(exc)
            reason = f"{stage} raised {type(exc).__name__}: {exc}" + (f" at {at}" if at else "")
            return ClaimResult(self.name, False, float("inf"), self.tol, count, ", ".join(methods) or "-",
                               reason, self.where, error=exc)
        if problem is None and not points:
            problem = "points= gave no points: nothing was checked"
        elif problem is None and not methods:
            problem = "against= gave no references: nothing was compared"
        ok = problem is None and worst <= self.tol
        return ClaimResult(self.name, ok, worst if problem is None else float("inf"), self.tol,
                           count, ", ".join(methods) or "-", problem or "", self.where)


class ElementClaim(Claim):
    """``(M)_{ij} = rhs(i, j)``: an element-wise formula, evaluated for every index pair of
    M's shape (i and j run from 1, as printed: the entry x_i of a vector is its i-th)."""

    def __init__(self, name: str, matrix, rhs, *, row: str | None = None, **kwargs):
        import sympy as sp
        from sympy.matrices.expressions.matexpr import MatrixElement

        from hw1.engine.printing import i, j

        # a row vector's entries are written (M)_{1j}: ``row="1"`` fixes the printed row index
        lhs = MatrixElement(matrix, sp.Symbol(row) if row else i, j)
        super().__init__(name, lhs, rhs, **kwargs)
        self.matrix = matrix

    @cached_property
    def _args(self) -> list:
        import sympy as sp

        from hw1.engine.printing import i, j

        return [i, j, *sorted(self.rhs.atoms(sp.IndexedBase), key=lambda b: b.name)]

    @cached_property
    def space(self) -> str:
        from hw1.engine.printing import latex

        rows, cols = self.matrix.shape
        if rows == 1:
            return r"j \in \{1, \dots, %s\}" % latex(cols)
        return r"i \in \{1, \dots, %s\},\ j \in \{1, \dots, %s\}" % (latex(rows), latex(cols))

    def evaluate(self, point: Values) -> np.ndarray:
        rows, cols = (int(point[str(s)]) if not s.is_Integer else int(s) for s in self.matrix.shape)
        grid_i, grid_j = np.meshgrid(np.arange(1, rows + 1), np.arange(1, cols + 1), indexing="ij")
        vectors = {b.name: np.asarray(point[b.name], dtype=np.float64).ravel()
                   for b in self._args[2:]}
        return np.asarray(self._fn(grid_i, grid_j, *vectors.values()), dtype=np.float64) \
            * np.ones((rows, cols))


@dataclass(frozen=True)
class Entry:
    """``lhs=entry(M)`` declares an element-wise claim ``(M)_{ij} = rhs(i, j)``."""

    matrix: object
    row: str | None = None


def entry(matrix, row: str | None = None) -> Entry:
    """The left side of an element-wise formula: the entries of ``matrix``; ``row="1"`` prints
    a row vector's entries as (M)_{1j}."""
    return Entry(matrix, row)


def make(name: str, function: Callable, options: Mapping, inputs: Mapping[str, object], *,
         where: str = "", order: str = "none") -> Claim:
    """The Claim a ``@claim`` declaration stands for: ``function(**inputs)`` is its right side;
    ``options`` are the decorator's (lhs, points, against, tol, space); ``inputs`` holds the data of
    the experiments named by the parameters of ``function`` and of ``points``; ``order`` is the
    printer's term order (``printing.ORDERS``)."""
    from hw1.engine.run import call

    lhs, points, against = options.get("lhs"), options.get("points"), options.get("against")
    missing = [k for k, v in (("lhs", lhs), ("points", points), ("against", against)) if v is None]
    if missing:
        raise ValueError(f"@claim of {name} needs {', '.join(missing)}= (the left side, the seeded "
                         "points, and the references to compare with)")
    if not callable(points) or not callable(against):
        raise ValueError(f"@claim of {name}: points= and against= must be functions")

    if not isinstance(options.get("space", True), bool):
        raise ValueError(f"@claim of {name}: space= is True (show where the left side lives, the "
                         f"default) or False, got {options['space']!r}")
    rhs = call(function, inputs)
    tol = DEFAULT_TOL if options.get("tol") is None else float(options["tol"])
    kwargs = dict(points=lambda: call(points, inputs), reference=against, tol=tol, where=where, order=order)
    if isinstance(lhs, Entry):
        made = ElementClaim(name, lhs.matrix, rhs, row=lhs.row, **kwargs)
    else:
        made = Claim(name, lhs, rhs, **kwargs)
    if options.get("space") is False:
        made.space = ""          # no column saying where the left side lives (the cached property, set)
    return made


def all_claims() -> list[Claim]:
    """Every claim the document can display, wherever it is declared, in document order."""
    from hw1.engine.run import Runner

    return Runner().claims(wrong=False)


def draft_claims() -> list[Claim]:
    """The statements declared ``wrong=True`` (mistakes kept on record); each must fail."""
    from hw1.engine.run import Runner

    return Runner().claims(wrong=True)


def by_name(name: str) -> Claim:
    claims = {c.name: c for c in all_claims()}
    if name not in claims:
        raise ValueError(f"no claim named {name!r}; known: {', '.join(claims)}")
    return claims[name]
