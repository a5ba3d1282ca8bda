"""The claim registry: every formula the document displays, with the numbers that prove it.

A claim is an equation ``lhs = rhs`` built from sympy objects (``hw1.symbolic``).  Its
``.latex`` is what sympy's printer makes of it and is what the document shows, verbatim.  Its
``.verify()`` evaluates the *same* ``rhs`` object numerically (via lambdify) on seeded points
and compares the result with independent references (torch autograd,
``torch.autograd.functional.jacobian``, hw1's hand-written backprop).  The error measure is
the normwise relative error of ``hw1.gradcheck.rel_err``; a claim holds when the largest error
over its points and references is at most its tolerance (1e-10 unless stated).

    >>> from hw1 import claims
    >>> for claim in claims.all_claims():
    ...     print(claim.name, claim.verify().ok)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hw1.gradcheck import rel_err

DEFAULT_TOL = 1e-10
POINTS = 8   # seeded points each claim is checked on

# Modules that register claims, by name: importing them here would make every claim depend
# on every problem's code (see hw1.build.deps).
CLAIM_MODULES = ("hw1.problem1", "hw1.problem2")

Values = Mapping[str, object]


@dataclass(frozen=True)
class ClaimResult:
    name: str
    ok: bool
    max_rel_err: float
    tol: float
    points: int
    method: str
    reason: str = ""

    def __str__(self) -> str:
        verdict = "ok" if self.ok else f"FAILED ({self.reason or 'error above tolerance'})"
        return (f"{self.name}: max rel. error {self.max_rel_err:.2e} over {self.points} points "
                f"(tolerance {self.tol:.0e}, vs {self.method}) {verdict}")


class Claim:
    """``lhs = rhs``, printed by sympy and checked numerically.

    - ``points()`` returns the seeded numeric points: dicts from symbol names to values.
    - ``reference(point)`` returns ``{method: array}``, the independently computed truth.
    """

    def __init__(self, name: str, lhs, rhs, *, points: Callable[[], Sequence[Values]],
                 reference: Callable[[Values], Mapping[str, np.ndarray]], shape: str = "",
                 tol: float = DEFAULT_TOL):
        self.name, self.lhs, self.rhs = name, lhs, rhs
        self.points, self.reference = points, reference
        self.shape = shape      # LaTeX of the space the value lives in, e.g. \mathbb{R}^{d}
        self.tol = tol

    def __repr__(self) -> str:
        return f"Claim({self.name!r}: {self.latex})"

    @cached_property
    def latex(self) -> str:
        """The equation as the document shows it (an ``align`` row: ``lhs &= rhs``)."""
        from hw1.symbolic import latex

        return f"{latex(self.lhs)} &= {latex(self.rhs)}"

    @cached_property
    def _args(self) -> list:
        import sympy as sp

        # the free symbols, less the entries x[i] of indexed vectors (their base is an argument)
        free = [s for s in self.rhs.free_symbols if not isinstance(s, sp.Indexed)]
        return sorted(free, key=lambda s: s.name)

    @cached_property
    def _fn(self):
        from hw1.symbolic import lambdify

        return lambdify(self._args, self.rhs)

    def evaluate(self, point: Values) -> np.ndarray:
        """The value of ``rhs`` at a point: the printed expression, evaluated by numpy."""
        missing = [a.name for a in self._args if a.name not in point]
        if missing:
            raise ValueError(f"claim {self.name}: the point has no value for {missing}")
        return np.asarray(self._fn(*(point[a.name] for a in self._args)), dtype=np.float64)

    def verify(self) -> ClaimResult:
        """Evaluate on every point, compare with every reference; never raises."""
        from hw1.symbolic import shape_problem

        methods: list[str] = []
        problem = shape_problem(self.rhs)
        worst, count = 0.0, 0
        if problem is None:
            try:
                for point in self.points():
                    got = self.evaluate(point)
                    for method, want in self.reference(point).items():
                        want = np.asarray(want, dtype=np.float64)
                        if method not in methods:
                            methods.append(method)
                        if got.size != want.size:
                            problem = f"value has shape {got.shape}, the reference {want.shape}"
                            break
                        worst = max(worst, rel_err(got.reshape(want.shape), want))
                    count += 1
                    if problem:
                        break
            except Exception as exc:  # a claim that cannot be evaluated is a failed claim
                problem = f"evaluation failed: {type(exc).__name__}: {exc}"
        if problem is None and not np.isfinite(worst):
            problem = "non-finite error"
        ok = problem is None and worst <= self.tol
        return ClaimResult(self.name, ok, worst if problem is None else float("inf"), self.tol,
                           count, ", ".join(methods) or "-", problem or "")


class ElementClaim(Claim):
    """``(M)_{ij} = rhs(i, j)``: an element-wise formula, evaluated for every index pair of
    M's shape (indices run from 0 in the code, as the symbols i, j are generic)."""

    def __init__(self, name: str, matrix, rhs, *, row: str | None = None, **kwargs):
        import sympy as sp
        from sympy.matrices.expressions.matexpr import MatrixElement

        from hw1.symbolic import i, j

        # a row vector's entries are written (M)_{1j}: ``row="1"`` fixes the printed row index
        lhs = MatrixElement(matrix, sp.Symbol(row) if row else i, j)
        super().__init__(name, lhs, rhs, **kwargs)
        self.matrix = matrix

    @cached_property
    def _args(self) -> list:
        import sympy as sp

        from hw1.symbolic import i, j

        return [i, j, *sorted(self.rhs.atoms(sp.IndexedBase), key=lambda b: b.name)]

    def evaluate(self, point: Values) -> np.ndarray:
        rows, cols = (int(point[str(s)]) if not s.is_Integer else int(s) for s in self.matrix.shape)
        grid_i, grid_j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        vectors = {b.name: np.asarray(point[b.name], dtype=np.float64).ravel()
                   for b in self._args[2:]}
        return np.asarray(self._fn(grid_i, grid_j, *vectors.values()), dtype=np.float64) \
            * np.ones((rows, cols))


def _collect(function: str) -> list[Claim]:
    found = []
    for module in CLAIM_MODULES:
        found += getattr(importlib.import_module(module), function)()
    return found


def all_claims() -> list[Claim]:
    """Every claim the document displays, in document order."""
    return _collect("claims")


def draft_claims() -> list[Claim]:
    """The draft's wrong statements, encoded as claims; each must fail ``verify()``."""
    return _collect("draft_claims")


def by_name(name: str) -> Claim:
    claims = {c.name: c for c in all_claims()}
    if name not in claims:
        raise ValueError(f"no claim named {name!r}; known: {', '.join(claims)}")
    return claims[name]
