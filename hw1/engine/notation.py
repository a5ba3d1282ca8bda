r"""A document's notation, declared once: the symbols its typed math uses, with their LaTeX.

Typed display math (``hw1.engine.typed``) is read (``mathread``) and checked (``mathcheck``) with
the notation of the document's module beside the ``.tex`` file: ``doc/answer.tex`` is read
with the ``NOTATION`` that ``doc/answer.py`` defines (or that it imports from another
module).  Each symbol has one or more spellings (``\mathbf{W}^{(1)}`` and ``W^{(1)}``), a kind
and where it matters a domain::

    from hw1.engine.notation import Notation

    NOTATION = N = Notation()                  # derivatives in numerator layout (the default)
    n, h, K = N.size("n", 4), N.size("h", 5), N.size("K", 3)   # sizes used to draw points
    N.vector(r"\mathbf{x}", "x", size=n)
    N.matrix(r"\mathbf{W}^{(1)}", "W^{(1)}", shape=(h, n))
    N.scalar("c", domain="positive")
    N.function(r"\sigma", meaning=r"\frac{1}{1 + e^{-t}}", var="t")    # element-wise
    N.define(r"\mathbf{z}_1", "z_1", r"\mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)}")

- **Spellings** are compared after reading, not as text: ``\bm{y}``, ``\bm y``, ``\mathbf{y}``
  and ``\boldsymbol{y}`` are one spelling (the bold fonts are one font), ``\hat{y}`` and
  ``\hat y`` too.  Where a symbol's spelling ends, scripts are operations: ``W^{(1)\top}`` is not
  read, ``\mathbf{W}^{(1)}`` followed by ``^\top`` is its transpose, ``z_{1,i}`` the entry i of
  ``z_1``.
- **Kinds.** ``size`` (an integer, the size of vectors and matrices and the bound of sums),
  ``scalar``, ``vector`` (a column), ``matrix``, ``function`` (element-wise; its meaning is a
  formula in LaTeX of one variable, read with this notation, or a Python callable on torch
  tensors) and ``define`` (a symbol defined by a formula: its value is computed from the formula,
  and derivatives with respect to it go through it).
- **Domains** of free symbols: ``real`` (standard normal draws), ``positive``, ``unit`` (the open
  interval (0, 1)) and ``binary`` (0 or 1).
- **Layout.** ``Notation(layout="numerator")``: ∂u/∂v has a row per entry of u and a column
  per entry of v, so ∂ℓ/∂ŷ is a 1×K row; ``"denominator"`` is its transpose.  The derivative
  of a scalar by a matrix is arranged like the matrix (``dW = ∂ℓ/∂W``), in both layouts.

Standard library only: the document's modules build their notation without loading torch.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable

KINDS = ("size", "scalar", "vector", "matrix", "function", "define")
DOMAINS = ("real", "positive", "unit", "binary")
LAYOUTS = ("numerator", "denominator")


class NotationError(ValueError):
    """A notation that cannot be used: a clash of spellings, an unknown size, a bad option."""


class Symbol:
    """One declared symbol.  ``spellings`` are LaTeX; ``name`` (the first spelling) is how
    messages name it."""

    __slots__ = ("kind", "spellings", "shape", "domain", "value", "meaning", "var", "where")

    def __init__(self, kind: str, spellings: tuple[str, ...], *, shape=None, domain="real", value=None,
                 meaning=None, var="t", where=""):
        self.kind, self.spellings, self.shape, self.domain = kind, spellings, shape, domain
        self.value, self.meaning, self.var, self.where = value, meaning, var, where

    @property
    def name(self) -> str:
        return self.spellings[0]

    def __repr__(self) -> str:
        return f"{self.kind}({self.name!r})"

    def describe(self) -> str:
        """The declaration as text (what the checks of typed math depend on)."""
        meaning = self.meaning
        if callable(meaning):
            try:
                meaning = inspect.getsource(meaning)
            except (OSError, TypeError):
                meaning = getattr(meaning, "__qualname__", repr(meaning))
        shape = None if self.shape is None else tuple(getattr(s, "name", s) for s in self.shape)
        return repr((self.kind, self.spellings, shape, self.domain, self.value, meaning, self.var))


class Notation:
    """The symbols of a document (see the module's docstring)."""

    def __init__(self, *, layout: str = "numerator", points: int = 5, seed: int = 0):
        if layout not in LAYOUTS:
            raise NotationError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
        if not (isinstance(points, int) and points >= 1):
            raise NotationError(f"points={points!r}: expected a positive number of seeded points")
        self.layout, self.points, self.seed = layout, points, seed
        self.symbols: list[Symbol] = []

    # -- declaring --------------------------------------------------------------------------
    def _add(self, kind: str, spellings: tuple[str, ...], **kw) -> Symbol:
        if not spellings or not all(isinstance(s, str) and s.strip() for s in spellings):
            raise NotationError(f"{kind}: give its LaTeX spelling(s) as non-empty strings, got {spellings!r}")
        taken = {sp: s for s in self.symbols for sp in s.spellings}
        for sp in spellings:
            if sp in taken:
                raise NotationError(f"{kind} {sp!r}: the spelling is already declared for {taken[sp]!r}")
        frame = inspect.currentframe()
        caller = frame.f_back.f_back if frame and frame.f_back else None
        where = f"{caller.f_code.co_filename}:{caller.f_lineno}" if caller else ""
        symbol = Symbol(kind, tuple(spellings), where=where, **kw)
        self.symbols.append(symbol)
        return symbol

    def _dim(self, d, what: str):
        if isinstance(d, Symbol) and d.kind == "size":
            return d
        if isinstance(d, int) and not isinstance(d, bool) and d >= 1:
            return d
        raise NotationError(f"{what}: a size is a positive int or a Notation.size(...), got {d!r}")

    def size(self, *spellings: str, value: int | None = None) -> Symbol:
        """An integer size, e.g. ``K``; ``size("K", 3)`` (the last argument may be the value)."""
        if value is None and spellings and isinstance(spellings[-1], int):
            *spellings, value = spellings
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise NotationError(f"size {spellings!r}: give its value, a positive int (the size used to "
                                f"draw points), got {value!r}")
        return self._add("size", tuple(spellings), value=value)

    def scalar(self, *spellings: str, domain: str = "real") -> Symbol:
        return self._add("scalar", spellings, shape=(), domain=self._domain(domain, spellings))

    def vector(self, *spellings: str, size, domain: str = "real") -> Symbol:
        """A column vector of ``size`` entries."""
        return self._add("vector", spellings, shape=(self._dim(size, f"vector {spellings[:1]}"), 1),
                         domain=self._domain(domain, spellings))

    def matrix(self, *spellings: str, shape, domain: str = "real") -> Symbol:
        if not (isinstance(shape, tuple) and len(shape) == 2):
            raise NotationError(f"matrix {spellings[:1]}: shape is a pair (rows, columns), got {shape!r}")
        dims = tuple(self._dim(d, f"matrix {spellings[:1]}") for d in shape)
        return self._add("matrix", spellings, shape=dims, domain=self._domain(domain, spellings))

    def function(self, *spellings: str, meaning: str | Callable, var: str = "t") -> Symbol:
        """An element-wise function: ``meaning`` is a formula of ``var`` in LaTeX (read with
        this notation), or a callable on torch tensors."""
        if not (isinstance(meaning, str) or callable(meaning)):
            raise NotationError(f"function {spellings[:1]}: meaning is LaTeX or a callable, got {meaning!r}")
        return self._add("function", spellings, meaning=meaning, var=var)

    def define(self, *spellings_and_formula: str) -> Symbol:
        """A symbol defined by a formula: ``define(r"\\mathbf{z}_1", "z_1", r"W^{(1)} x + b^{(1)}")``
        (the last argument is the formula, in LaTeX, read with this notation)."""
        if len(spellings_and_formula) < 2:
            raise NotationError("define(spelling, ..., formula): give the spelling(s) and the formula")
        *spellings, formula = spellings_and_formula
        return self._add("define", tuple(spellings), meaning=formula)

    @staticmethod
    def _domain(domain: str, spellings) -> str:
        if domain not in DOMAINS:
            raise NotationError(f"{spellings[:1]}: domain {domain!r}: expected one of {', '.join(DOMAINS)}")
        return domain

    # -- using ------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """A hash of every declaration: reading and checking are cached by it."""
        text = repr((self.layout, self.points, self.seed, [s.describe() for s in self.symbols]))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def size_value(self, d) -> int:
        return d.value if isinstance(d, Symbol) else int(d)

    def __repr__(self) -> str:
        return f"Notation({len(self.symbols)} symbols, layout={self.layout!r})"
