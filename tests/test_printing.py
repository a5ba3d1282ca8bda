"""Tests for hw1.engine.printing: the engine's claim printer and numeric namespace."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from hw1.engine import printing
from hw1.engine.claims import Claim


def test_terms_print_in_the_order_written_unless_sympy_order_is_asked():
    p, d = sp.symbols("p delta")
    expr = sp.Add(p, -d, evaluate=False)
    assert printing.latex(expr) == r"p - \delta"
    assert printing.latex(expr, order="lex") == r"- \delta + p"
    with pytest.raises(ValueError, match="unknown term order 'random'"):
        printing.latex(expr, order="random")


def test_a_claim_prints_in_the_order_its_document_asks():
    p, d = sp.symbols("p delta")
    kwargs = dict(points=list, reference=dict)
    assert Claim("c", sp.Symbol("L"), sp.Add(p, -d, evaluate=False), **kwargs).latex == r"L &= p - \delta"
    assert Claim("c", sp.Symbol("L"), sp.Add(p, -d, evaluate=False), order="lex", **kwargs).latex \
        == r"L &= - \delta + p"


def test_the_configuration_knows_the_printers_orders():
    from hw1.engine import paths

    assert paths.CLAIM_ORDERS == printing.ORDERS


def test_an_integral_has_a_numeric_meaning():
    """A definite integral is evaluated (by scipy's quad) where numpy alone has no meaning."""
    t, c = sp.symbols("t c", positive=True)
    rhs = sp.Integral(sp.exp(-c * t**2), (t, 0, 1))
    claim = Claim("m.gauss", sp.Symbol("G"), rhs, points=lambda: [{"c": 1.0}, {"c": 2.0}],
                  reference=lambda p: {"erf": math.sqrt(math.pi / p["c"]) / 2 * math.erf(math.sqrt(p["c"]))})
    result = claim.verify()
    # quad's default absolute tolerance is 1.49e-8; on this smooth integrand it is far closer
    assert result.ok and result.max_rel_err < 1e-12, result


def test_the_printer_and_the_evaluator_read_the_same_object():
    A = printing.matrix("A_t", 2, 2, r"\mathbf{A}")
    v = printing.matrix("v_t", 2, 1, r"\mathbf{v}")
    expr = printing.mm(printing.T(A), printing.ReLU(v))
    assert printing.latex(expr) == r"\mathbf{A}^{\top} \operatorname{ReLU}(\mathbf{v})"
    f = printing.lambdify([A, v], expr)
    a, x = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0], [-1.0]])
    np.testing.assert_array_equal(f(a, x), a.T @ np.maximum(x, 0))
