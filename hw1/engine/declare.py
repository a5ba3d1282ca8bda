"""What an author writes in a problem's module: declarations, found by the build.

An answer is its ``.tex`` file and one Python module beside it (``doc/gd.tex`` and
``doc/gd.py``).  In the module, decorators mark what the document can show; the build
finds them by reading the module (nothing is registered by hand), and the ``.tex`` names them
as ``<module>.<function>``::

    @experiment(steps=10**6, seed=0)    # parameters, declared once; the PDF and `invoke check` share them
    def implicit_bias(steps, seed): ...  # returns JSON-ready data; computed only when its code changes

    @value(digits=6)                     # \\val{gd.slope}: a number in the text
    def slope(implicit_bias): ...        # a parameter named like an experiment receives its data

    @figure                              # \\fig{gd.norm_plot}: a figure and its provenance
    def norm_plot(implicit_bias): ...    # returns a matplotlib Figure

    @claim(lhs=dL_dc, points=on_rays, against=by_autograd)
    def dloss_dc(): ...                  # \\claim{gd.dloss_dc}: a verified displayed formula

    @check(tol=1e-2)                     # a row of `invoke check`
    def slope_matches(implicit_bias): ...

Standard library only: importing this costs nothing.  The decorators return the function
unchanged (it stays callable and testable) with its declaration attached.
"""

from __future__ import annotations

from collections.abc import Callable

KINDS = ("experiment", "value", "figure", "claim", "check")
ATTRIBUTE = "__declaration__"


class Declared:
    """What a decorator recorded about one function (a plain class: this module is imported by
    every build, and a dataclass costs a compile to define)."""

    __slots__ = ("kind", "options")

    def __init__(self, kind: str, options: dict | None = None):
        self.kind, self.options = kind, dict(options or {})

    def __repr__(self) -> str:
        return f"Declared({self.kind!r}, {self.options!r})"


def _mark(kind: str, function: Callable | None, options: dict, allowed: tuple[str, ...]):
    unknown = sorted(set(options) - set(allowed)) if allowed != ("*",) else []
    if unknown:
        raise TypeError(f"@{kind} got unknown option(s) {unknown}; it takes {', '.join(allowed) or 'none'}")

    def attach(fn: Callable) -> Callable:
        if not callable(fn):
            raise TypeError(f"@{kind} decorates a function, got {fn!r}")
        if hasattr(fn, ATTRIBUTE):
            raise TypeError(f"{fn.__name__} is declared twice (@{getattr(fn, ATTRIBUTE).kind} and @{kind})")
        setattr(fn, ATTRIBUTE, Declared(kind, dict(options)))
        return fn

    return attach if function is None else attach(function)


def experiment(function: Callable | None = None, /, **params):
    """An expensive computation whose result (a dict of JSON-ready data: numbers, strings,
    lists, numpy arrays) is cached by content.  Keyword arguments are its parameters, passed to
    the function by name; other parameters of the function name experiments it reads."""
    return _mark("experiment", function, params, ("*",))


def value(function: Callable | None = None, /, *, digits: int | None = None,
          decimals: int | None = None, sci: bool | None = None):
    """A value the text shows with ``\\val{module.name}``.  The function returns a number
    (formatted here: ``digits`` significant digits, or ``decimals`` after the point, in
    scientific notation when ``sci`` is true or, by default, when it is very large or small),
    a string (escaped for LaTeX), or a LaTeX object such as a PyLaTeX ``Tabular``."""
    return _mark("value", function, {"digits": digits, "decimals": decimals, "sci": sci},
                 ("digits", "decimals", "sci"))


def figure(function: Callable | None = None, /):
    """A figure the document shows with ``\\fig{module.name}``; the function draws it from its
    inputs and returns the matplotlib Figure (the build saves it as a reproducible PDF)."""
    return _mark("figure", function, {}, ())


def claim(function: Callable | None = None, /, *, lhs=None, points: Callable | None = None,
          against: Callable | None = None, tol: float | None = None, wrong: bool = False,
          space: bool = True):
    """A displayed formula ``lhs = rhs``, shown with ``\\claim{module.name}`` only after it was
    checked.  The function returns ``rhs`` as a sympy expression.  ``points()`` gives the
    seeded points (dicts from symbol names to values; its parameters may name experiments) and
    ``against(point)`` the independent references, ``{method: value}``; the claim holds when
    the relative error of every reference is at most ``tol`` (1e-10 by default).
    ``wrong=True`` declares a statement that must *fail* (a mistake kept on record): ``invoke
    check`` shows it rejected, and the document cannot display it.  ``space=False`` leaves out
    the column that says where the left side lives (``\\in \\mathbb{R}^{K}``)."""
    return _mark("claim", function, {"lhs": lhs, "points": points, "against": against, "tol": tol,
                                     "wrong": wrong, "space": space},
                 ("lhs", "points", "against", "tol", "wrong", "space"))


class References:
    """What ``references(...)`` records: points and references, with no formula of their own."""

    __slots__ = ("points", "against", "tol")

    def __init__(self, points, against, tol):
        self.points, self.against, self.tol = points, against, tol

    def __repr__(self) -> str:
        return f"References(points={self.points!r}, against={self.against!r}, tol={self.tol!r})"


def references(*, points: Callable, against: Callable, tol: float | None = None) -> References:
    """The seeded points and the references that check a typed display naming them with
    ``\\checkedby{module.name}`` (``name = references(points=..., against=...)`` at module level):
    the display's formula is the author's LaTeX, these are the numbers it must match.
    ``points()`` (no parameters) gives dicts from the notation's symbols (a spelling, or a sympy
    symbol of that name) to values; ``against(point)`` gives ``{method: value}``; ``tol`` is the
    claims' tolerance (1e-10 by default).  A ``@claim`` can be named the same way (its points and
    references are used, not its formula)."""
    if not callable(points) or not callable(against):
        raise TypeError("references(points=..., against=...): both are functions")
    return References(points, against, tol)


def check(function: Callable | None = None, /, *, tol: float | None = None, method: str = ""):
    """A numerical check shown by ``invoke check``.  The function returns a measured error
    (ok when at most ``tol``), a bool (ok when true), or a dict of either, one row per key."""
    return _mark("check", function, {"tol": tol, "method": method}, ("tol", "method"))


def declared(function) -> Declared | None:
    """The declaration attached to ``function``, if any."""
    return getattr(function, ATTRIBUTE, None)
