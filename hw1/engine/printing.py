r"""How the engine writes and evaluates a claim's sympy expression: one LaTeX printer that
writes it the way the document does, and one numeric printer that evaluates the very same
expression object.  Importing this module imports sympy and numpy.

- **Symbols with their LaTeX.** ``matrix``, ``scalar`` and ``indexed`` make sympy symbols and
  record how the document writes each (a superscript kept apart from its base, so that a
  transpose prints as ``W^{(1)\top}``).  A document's modules make their own; the engine has
  no table to edit by hand.
- **Printing** (``latex``): bold names, ``^{\top}``, ``\mathbf{I}_K``, and terms in the order
  they were written (``order="none"``), or sympy's own order when a document asks for it.
- **Evaluating** (``lambdify``): numpy for matrices and element-wise functions, scipy where
  numpy has no meaning (a definite ``Integral`` is evaluated by ``scipy.integrate.quad``).
- **Writing as written**: ``mm``, ``add``, ``neg``, ``T`` keep products, sums, signs and
  transposes as the author wrote them; ``shape_problem`` says which product or sum is
  dimensionally invalid.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import SciPyPrinter

# -- how the document writes each symbol ------------------------------------------------------
# Filled where a symbol is made (``matrix``, ``scalar``, ``indexed`` below, or in a problem's own
# module): there is no table to edit by hand.  A superscript is kept apart from its base so that
# a transpose prints as W^{(1)\top}, never as the double superscript W^{(1)}^T.
# Keyed by the symbol itself (name, shape and assumptions), so a plain Symbol("x") elsewhere
# is not written like the network's input x.
_NAMES: dict[sp.Basic, tuple[str, str | None]] = {}
_INDEXED: dict[sp.Basic, tuple[str, str]] = {}


def _register(table: dict, symbol: sp.Basic, how: tuple) -> sp.Basic:
    if table.get(symbol, how) != how:
        raise ValueError(f"symbol {symbol} is already written {table[symbol]!r}; "
                         f"it cannot also be written {how!r}: give the new symbol another name")
    table[symbol] = how
    return symbol


def matrix(name: str, rows, cols, tex: str, sup: str | None = None) -> sp.MatrixSymbol:
    """A matrix (or column vector, cols = 1) named ``name`` in code, written ``tex`` with the
    superscript ``sup`` in the document: ``matrix("W1", d, n, r"\\mathbf{W}", "(1)")``."""
    return _register(_NAMES, sp.MatrixSymbol(name, rows, cols), (tex, sup))


def scalar(name: str, tex: str, **assumptions) -> sp.Symbol:
    """A scalar named ``name`` in code and written ``tex`` in the document."""
    return _register(_NAMES, sp.Symbol(name, **assumptions), (tex, None))


def indexed(name: str, tex: str, sub: str = "") -> sp.IndexedBase:
    """A vector whose entries the document writes ``tex_{sub,i}``: ``indexed("z1", "z", "1")``."""
    return _register(_INDEXED, sp.IndexedBase(name), (tex, sub))



# the indices of element-wise formulas (hw1.engine.claims.ElementClaim; from 1, as printed)
i, j = sp.symbols("i j", integer=True, nonnegative=True)



# -- element-wise functions of a matrix expression ---------------------------------------------
class _OfOneMatrix(MatrixExpr):
    """A matrix expression of one argument, shaped like it unless a subclass says otherwise."""

    def __new__(cls, arg):
        return super().__new__(cls, sp.sympify(arg))

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape


class ReLU(_OfOneMatrix):
    """ReLU applied entry by entry: ReLU(u)_i = max(0, u_i)."""

    def _entry(self, i, j, **kwargs):
        return sp.Max(0, self.arg._entry(i, j, **kwargs))

    def _latex(self, printer):
        return r"\operatorname{ReLU}(%s)" % printer._print(self.arg)

    def _numpycode(self, printer):
        return "%s(0.0, %s)" % (printer._module_format("numpy.maximum"), printer._print(self.arg))


class Step(_OfOneMatrix):
    """The 0/1 indicator of a positive entry, 1[u_i > 0]; PyTorch's ReLU'(u_i) (0 at u_i = 0)."""

    def _entry(self, i, j, **kwargs):
        return sp.Heaviside(self.arg._entry(i, j, **kwargs), 0)

    def _latex(self, printer):
        return r"\mathbf{1}[%s > \mathbf{0}]" % printer._print(self.arg)

    def _numpycode(self, printer):
        return "(%s > 0).astype(float)" % printer._print(self.arg)


class Diag(_OfOneMatrix):
    """The square diagonal matrix with the entries of a column vector on its diagonal."""

    @property
    def shape(self):
        return (self.arg.shape[0], self.arg.shape[0])

    def _entry(self, i, j, **kwargs):
        return sp.KroneckerDelta(i, j) * self.arg._entry(i, 0, **kwargs)

    def _latex(self, printer):
        return r"\operatorname{diag}(%s)" % printer._print(self.arg)

    def _numpycode(self, printer):
        return "%s((%s).ravel())" % (printer._module_format("numpy.diag"), printer._print(self.arg))


class SquaredNorm(_OfOneMatrix):
    """||v||^2 of a column vector, as a 1x1 matrix."""

    @property
    def shape(self):
        return (sp.Integer(1), sp.Integer(1))

    def _latex(self, printer):
        return r"\left\lVert %s \right\rVert^{2}" % printer._print(self.arg)

    def _numpycode(self, printer):
        return "%s((%s)**2).reshape(1, 1)" % (printer._module_format("numpy.sum"),
                                              printer._print(self.arg))


# -- printers -----------------------------------------------------------------------------------
class DocLatexPrinter(LatexPrinter):
    """LaTeX as the document writes it: bold vectors and matrices, superscripts (1), (2),
    transposes as ^{\\top}, identities as I_K."""

    def _name(self, expr, transpose: bool = False) -> str:
        base, sup = _NAMES.get(expr) or (LatexPrinter._print_Symbol(self, sp.Symbol(expr.name)), None)
        sups = [s for s in (sup, r"\top" if transpose else None) if s]
        if not sups:
            return base
        if base.startswith(r"\frac") or base.startswith(r"\nabla"):
            return r"\left(%s\right)^{%s}" % (base, "".join(sups))
        return "%s^{%s}" % (base, "".join(sups))

    def _print_MatrixSymbol(self, expr):
        return self._name(expr)

    def _print_Symbol(self, expr, style="plain"):
        if expr in _NAMES:
            return self._name(expr)
        return super()._print_Symbol(expr, style)

    def _print_Transpose(self, expr):
        if isinstance(expr.arg, sp.MatrixSymbol):
            return self._name(expr.arg, transpose=True)
        return r"\left(%s\right)^{\top}" % self._print(expr.arg)

    def _print_Identity(self, expr):
        return r"\mathbf{I}_{%s}" % self._print(expr.rows)

    def _print_Heaviside(self, expr):
        return r"\mathbf{1}[%s > 0]" % self._print(expr.args[0])

    def _print_KroneckerDelta(self, expr, exp=None):
        i, j = expr.args
        return r"\delta_{%s %s}" % (self._print(i), self._print(j))


    def _print_Indexed(self, expr):
        # an entry of a vector: z1[i] -> z_{1,i}, y_hat[j] -> \hat{y}_{j}
        base, sub = _INDEXED.get(expr.base) or (LatexPrinter._print_Symbol(self, expr.base.label), "")
        idx = ",".join(self._print(i) for i in expr.indices)
        return "%s_{%s%s}" % (base, sub + "," if sub else "", idx)

    def _print_MatrixElement(self, expr):
        name = self._name(expr.parent)
        if not name.startswith(r"\left("):
            name = r"\left(%s\right)" % name
        return "%s_{%s%s}" % (name, self._print(expr.i), self._print(expr.j))


class DocNumPyPrinter(SciPyPrinter):
    """numpy code for the same expressions (scipy's where numpy has none, e.g. ``Integral``);
    identities of symbolic size become eye(size), Kronecker deltas compare index arrays."""

    def _print_Identity(self, expr):
        return "%s(%s)" % (self._module_format("numpy.eye"), self._print(expr.rows))

    def _print_KroneckerDelta(self, expr):
        i, j = (self._print(a) for a in expr.args)
        return "%s(%s, %s).astype(float)" % (self._module_format("numpy.equal"), i, j)

    def _print_log(self, expr):
        # log(1 + exp(u)) is evaluated as logaddexp(0, u): the same number, computed without
        # rounding 1 + exp(u) to 1 when exp(u) is tiny, or overflowing when it is huge
        arg = expr.args[0]
        if isinstance(arg, sp.Add) and len(arg.args) == 2 and sp.S.One in arg.args:
            other = next(a for a in arg.args if a != sp.S.One)
            if isinstance(other, sp.exp):
                return "%s(0.0, %s)" % (self._module_format("numpy.logaddexp"), self._print(other.args[0]))
        return super()._print_log(expr)

    # Indices run as printed, from 1, everywhere: in a sum, in an element-wise claim, and in
    # the value a point gives a free index (k=2 is the second entry, as the PDF reads it);
    # only the numpy code indexes from 0, so an entry x_i is x[i - 1].
    def _print_Indexed(self, expr):
        return "%s[%s]" % (self._print(expr.base.label),
                           ", ".join(f"{self._print(i)} - 1" for i in expr.indices))

    def _print_Sum(self, expr):
        # sum_{i=1}^{N} term(i): the term is evaluated at i = 1, ..., N all at once and summed
        (index, lower, upper), = expr.limits
        if lower != 1:
            raise ValueError(f"only sums from 1 are supported, got {expr}")
        return "%s((lambda %s: %s)(%s(1, %s + 1)), axis=0)" % (
            self._module_format("numpy.sum"), self._print(index), self._print(expr.function),
            self._module_format("numpy.arange"), self._print(upper))


ORDERS = ("none", "lex", "grlex", "rev-lex")   # "none": terms as written; the others: sympy's


def latex(expr, order: str = "none") -> str:
    """The document's LaTeX for a sympy expression, its terms in the order written (or in one of
    sympy's orders: ``order="lex"``...)."""
    if order not in ORDERS:
        raise ValueError(f"unknown term order {order!r}; expected one of {', '.join(ORDERS)}")
    return DocLatexPrinter({"mat_symbol_style": "plain", "order": order}).doprint(expr)


def lambdify(args, expr):
    """A numpy function evaluating ``expr`` — the same object that ``latex`` prints."""
    return sp.lambdify(args, expr, modules=[{"Heaviside": _heaviside}, "scipy", "numpy"],
                       printer=DocNumPyPrinter)


def _heaviside(u, h0=0.0):
    return np.heaviside(u, h0)


def mm(*factors):
    """A matrix product kept exactly as written (sympy would otherwise reorder transposes
    and pull scalars to the front); shapes are checked separately by ``shape_problem``."""
    return sp.MatMul(*factors, evaluate=False)


def add(*terms):
    """A sum kept in the order written; nested sums are flattened (no stray parentheses)."""
    flat = []
    for t in terms:
        flat += list(t.args) if isinstance(t, sp.MatAdd) else [t]
    return sp.MatAdd(*flat, evaluate=False)


def neg(expr):
    """-expr, printed as a minus sign inside a sum."""
    factors = list(expr.args) if isinstance(expr, sp.MatMul) else [expr]
    return sp.MatMul(-1, *factors, evaluate=False)


def T(expr):
    """A transpose kept as written: (A B)^T stays (A B)^T."""
    return sp.Transpose(expr)


def shape_problem(expr) -> str | None:
    """None if every product and sum in ``expr`` is dimensionally valid, else what is wrong."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.MatMul):
            mats = [a for a in node.args if getattr(a, "is_Matrix", False)]
            for left, right in zip(mats, mats[1:], strict=False):
                if left.shape[1] != right.shape[0]:
                    return (f"cannot multiply ({left.shape[0]} x {left.shape[1]}) by "
                            f"({right.shape[0]} x {right.shape[1]}) in {latex(node)}")
        elif isinstance(node, sp.MatAdd):
            shapes = {a.shape for a in node.args}
            if len(shapes) > 1:
                return f"cannot add matrices of shapes {sorted(map(str, shapes))}"
    return None
