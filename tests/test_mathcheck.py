"""The typed-math library: notation, reader (mathread) and checker (mathcheck), on a small
network notation (not the homework's).  Right steps pass at float64 rounding; wrong steps are
refused with a diagnosis (a factor, a transpose, a sign, a shape, a product that does not fit)."""

from __future__ import annotations

import math

import pytest

from hw1.engine.mathcheck import TOL, Checker
from hw1.engine.mathread import ReadError, read_row
from hw1.engine.notation import Notation, NotationError


@pytest.fixture(scope="module")
def net():
    N = Notation()
    n, h, K = N.size("n", 4), N.size("h", 5), N.size("K", 3)
    N.vector(r"\mathbf{x}", "x", size=n)
    N.vector(r"\mathbf{y}", "y", size=K, domain="binary")
    N.matrix(r"\mathbf{W}^{(1)}", "W^{(1)}", shape=(h, n))
    N.vector(r"\mathbf{b}^{(1)}", "b^{(1)}", size=h)
    N.matrix(r"\mathbf{W}^{(2)}", "W^{(2)}", shape=(K, h))
    N.vector(r"\mathbf{b}^{(2)}", "b^{(2)}", size=K)
    N.scalar("c", domain="positive")
    N.function("f", meaning=r"5\max(0, t)")
    N.function(r"\sigma", meaning=r"\frac{1}{1+e^{-t}}")
    N.define(r"\mathbf{z}_1", "z_1", r"W^{(1)} x + b^{(1)}")
    N.define(r"\mathbf{z}_2", "z_2", r"f(z_1)")
    N.define(r"\mathbf{z}_3", "z_3", r"W^{(2)} z_2 + b^{(2)}")
    N.define(r"\hat{\mathbf{y}}", r"\hat y", r"z_3")
    N.define(r"\ell", r"\|\hat y - y\|^2")
    return N, Checker(N)


def steps(net, *rows):
    N, checker = net
    out, previous = [], None
    for text in rows:
        row = read_row(text, N, spelled=checker.spelled)
        out += checker.check_row(row, previous)
        previous = row.exprs[-1]
    return out


@pytest.mark.parametrize("text", [
    r"\frac{\partial \ell}{\partial \hat{\bm y}} = 2(\hat{\bm y} - \bm y)^\top",
    r"\frac{\partial \ell}{\partial \hat{\mathbf{y}}} = 2(\hat{y} - y)^{\mathsf T}",
    r"\frac{\partial z_3}{\partial b^{(2)}} = I_K",
    r"\frac{\partial \ell}{\partial W^{(2)}} = 2(\hat y - y) z_2^\top "
    r"= 2(\hat y - y)\bigl(5\max(0, W^{(1)}x + b^{(1)})\bigr)^T",
    r"\frac{\partial \ell}{\partial W^{(1)}} = \Bigl(\frac{\partial \ell}{\partial \hat{y}} "
    r"\frac{\partial \hat{y}}{\partial z_3} W^{(2)} \frac{\partial z_2}{\partial z_1}\Bigr)^\top x^\top",
    r"\Bigl[\frac{\partial z_2}{\partial z_1}\Bigr]_{ij} = 5\,\mathbb{1}[z_{1,i} > 0]\,\delta_{ij}",
    r"\frac{\partial z_2}{\partial z_1} = 5\operatorname{diag}(\mathbb{1}[z_1 > 0]) "
    r"= \operatorname{diag}(f'(z_1))",
    r"\ell = \sum_{i=1}^{K} (\hat y_i - y_i)^2 = (\hat y - y)^\top (\hat y - y) "
    r"= (\hat y - y)\cdot(\hat y - y)",
    r"\frac{d}{dc}\bigl(c^2\bigr) = 2c",
    r"\frac{\partial^2}{\partial c^2} \log(1 + e^{c}) = \sigma(c)\,(1 - \sigma(c)) = \sigma'(c)",
    r"\sigma(c) + \sigma(-c) = 1 \le 2",
])
def test_right_steps_pass_at_float64_rounding(net, text):
    for step in steps(net, text):
        assert step.ok, str(step)
        assert step.error <= 1e-13, str(step)
        assert step.tol == TOL == 1e-10


def test_a_continuation_row_starts_from_the_row_before(net):
    got = steps(net, r"\frac{\partial \ell}{\partial b^{(2)}} = \frac{\partial \ell}{\partial \hat{y}}"
                     r" \frac{\partial \hat{y}}{\partial z_3} \frac{\partial z_3}{\partial b^{(2)}}",
                r"= 2(\hat y - y)^\top")
    assert [s.ok for s in got] == [True, True]
    assert got[1].left.startswith(r"\frac{\partial \ell}{\partial \hat{y}}")


def test_a_factor_is_named(net):
    (step,) = steps(net, r"\frac{\partial \ell}{\partial b^{(2)}} = 5 \frac{\partial \ell}{\partial \hat{y}}"
                         r" \frac{\partial \hat{y}}{\partial z_3}")
    assert not step.ok
    assert step.error == pytest.approx(0.8, rel=1e-12)      # |5a - a| / |5a|
    assert "factor 5" in step.diagnosis


def test_a_transpose_is_named(net):
    (step,) = steps(net, r"\frac{\partial \ell}{\partial \hat{y}} = 2(\hat y - y)")
    assert not step.ok and math.isinf(step.error)
    assert step.diagnosis == "the left side is a row (1×3), the right side a vector (3×1); transposed"


def test_a_sign_is_named(net):
    (step,) = steps(net, r"\frac{\partial \ell}{\partial \hat{y}} = 2(y - \hat y)^\top")
    assert not step.ok and step.error == pytest.approx(2.0)
    assert step.diagnosis == "opposite sign"


def test_the_identity_is_not_a_scalar(net):
    (step,) = steps(net, r"\frac{\partial z_3}{\partial b^{(2)}} = 5")
    assert not step.ok
    assert step.diagnosis == "the left side is a 3×3 matrix (the identity), the right side the scalar 5"


def test_a_product_whose_sizes_do_not_fit_is_named(net):
    (step,) = steps(net, r"\frac{\partial \ell}{\partial W^{(1)}} = "
                         r"\frac{\partial \ell}{\partial \hat{y}} \frac{\partial \hat{y}}{\partial z_3}"
                         r" W^{(2)} \frac{\partial z_2}{\partial z_1} x")
    assert not step.ok
    assert step.diagnosis == (r"cannot multiply `\frac{\partial \ell}{\partial \hat{y}} "
                              r"\frac{\partial \hat{y}}{\partial z_3}"
                              r" W^{(2)} \frac{\partial z_2}{\partial z_1}` (1×5) by `x` (4×1)")


def test_a_derivative_of_a_vector_by_a_matrix_is_refused(net):
    (step,) = steps(net, r"\frac{\partial z_1}{\partial W^{(1)}} = x")
    assert not step.ok and "a derivative of a vector by a matrix is not read" in step.diagnosis


def test_a_wrong_relation_fails(net):
    (step,) = steps(net, r"\sigma(c) < 0")
    assert not step.ok and "does not hold" in step.diagnosis


@pytest.mark.parametrize("text, token, what", [
    (r"a = x", "a", "unknown symbol `a`"),
    (r"\foo{x} = x", r"\foo", r"unknown token `\foo`"),
    (r"x = (x", "", "ends too early"),
    (r"\frac{\partial x}{\partial (x + x)} = 1", "", "with respect to a symbol"),
])
def test_unreadable_rows_name_the_first_token(net, text, token, what):
    N, checker = net
    with pytest.raises(ReadError) as info:
        read_row(text, N, spelled=checker.spelled)
    assert what in info.value.what
    assert info.value.token.startswith(token)
    assert info.value.offset is not None and 0 <= info.value.offset <= len(text)


def test_spellings_are_compared_after_reading(net):
    N, checker = net
    for text in (r"\bm{x}", r"\bm x", r"\boldsymbol{x}", r"\mathbf x", "x"):
        (expr,) = read_row(text, N, spelled=checker.spelled).exprs
        assert expr.op == "sym" and expr.args[0].name == r"\mathbf{x}"


def test_the_notation_refuses_bad_declarations():
    N = Notation()
    N.vector("x", size=3)
    with pytest.raises(NotationError, match="already declared"):
        N.scalar("x")
    with pytest.raises(NotationError, match="domain"):
        N.scalar("c", domain="negative")
    with pytest.raises(NotationError, match="a size is a positive int"):
        N.vector("v", size=0)
    with pytest.raises(NotationError, match="layout"):
        Notation(layout="mixed")


def test_the_fingerprint_follows_the_declarations():
    a, b = Notation(), Notation()
    a.scalar("c")
    b.scalar("c")
    assert a.fingerprint() == b.fingerprint()
    b.define("d", "2c")
    assert a.fingerprint() != b.fingerprint()


def test_denominator_layout_transposes():
    N = Notation(layout="denominator")
    N.vector("x", size=3)
    N.define(r"\ell", r"x^\top x")
    checker = Checker(N)
    (step,) = checker.check_row(read_row(r"\frac{\partial \ell}{\partial x} = 2x", N))
    assert step.ok, str(step)


def test_a_side_not_finite_at_a_later_point_fails_the_step():
    # u is any real: 2 log(u) is nan where the seeded u is negative (not at the first point), and
    # max(1e-16, nan) would keep 1e-16; with u positive the same identity holds
    N = Notation()
    N.scalar("u")
    checker = Checker(N)
    u = [float(p[N.symbols[0]]) for p in checker.points()]
    assert u[0] > 0 > min(u)
    (step,) = checker.check_row(read_row(r"\log(u^2) = 2\log(u)", N, spelled=checker.spelled))
    assert not step.ok and step.error == math.inf and "not finite" in step.diagnosis
    P = Notation()
    P.scalar("u", domain="positive")
    checker = Checker(P)
    (step,) = checker.check_row(read_row(r"\log(u^2) = 2\log(u)", P, spelled=checker.spelled))
    assert step.ok and step.error <= 4 * 2.0 ** -52   # a few roundings of numbers of order one
