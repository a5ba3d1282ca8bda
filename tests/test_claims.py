"""The claim registry: every displayed formula is printed by sympy and verified by numbers,
and wrong formulas (the draft's, and deliberate sign, factor and transpose slips) fail."""

from __future__ import annotations

import pytest
import sympy as sp

from hw1 import claims, problem1, problem2
from hw1 import symbolic as s
from hw1.claims import Claim
from hw1.symbolic import T, add, mm, neg

ALL = claims.all_claims()


def test_registry_is_large_and_names_are_unique():
    assert len(ALL) >= 12
    assert len({c.name for c in ALL}) == len(ALL)


@pytest.mark.parametrize("claim", ALL, ids=lambda c: c.name)
def test_every_claim_verifies_on_enough_points(claim):
    result = claim.verify()
    assert result.ok, str(result)
    assert result.max_rel_err <= 1e-10
    assert result.points >= 5


@pytest.mark.parametrize("claim", claims.draft_claims(), ids=lambda c: c.name)
def test_the_drafts_mistakes_are_rejected(claim):
    result = claim.verify()
    assert not result.ok
    assert result.max_rel_err > 1e-3 or result.reason   # far off, or not even well-formed


def _variant(name: str, rhs) -> Claim:
    """The claim ``name`` with its right side replaced (same points, same references)."""
    original = claims.by_name(name)
    return Claim(original.name, original.lhs, rhs, points=original.points, reference=original.reference)


@pytest.mark.parametrize("name, wrong", [
    ("p1.forward.z3", add(mm(5, s.W2, s.ReLU(problem1.Z1)), neg(s.b2))),          # sign
    ("p1.backward.db1", mm(2, problem1.DB1)),                                    # factor
    ("p1.backward.dW2", mm(T(problem1.DELTA3), problem1.Z2)),                    # missing transpose
    ("p1.backward.dW1", mm(T(mm(s.dl_dyhat, s.dyhat_dz3, s.W2)), T(s.x))),        # missing Jacobian
    ("p1.jacobian.dl_dyhat", mm(2, T(add(s.y, neg(s.y_hat))))),                   # sign
    ("p1.sgd.step", add(s.theta, mm(s.eta, s.grad_theta))),                       # ascent, not descent
    ("p2.dloss_dc", sp.Sum(problem2.m[problem2.i] / (1 + sp.exp(s.c * problem2.m[problem2.i])),
                           (problem2.i, 1, problem2.N))),                        # sign
])
def test_wrong_variants_are_rejected(name, wrong):
    result = _variant(name, wrong).verify()
    assert not result.ok, str(result)


def test_a_claim_that_cannot_be_evaluated_fails_with_a_reason():
    result = _variant("p1.forward.z1", mm(s.W1, s.y)).verify()   # (d x n)(K x 1): undefined
    assert not result.ok
    assert "cannot multiply" in result.reason


# -- the exact LaTeX of the key derivations: a change on the page is a diff here ---------------
EXPECTED = {
    "p1.forward.z1": r"\mathbf{z}_{1} &= \mathbf{W}^{(1)} \mathbf{x} + \mathbf{b}^{(1)}",
    "p1.forward.y_hat": r"\hat{\mathbf{y}} &= 5 \mathbf{W}^{(2)} \operatorname{ReLU}(\mathbf{W}^{(1)} "
                        r"\mathbf{x} + \mathbf{b}^{(1)}) + \mathbf{b}^{(2)}",
    "p1.backward.dz3_db2": r"\frac{\partial \mathbf{z}_{3}}{\partial \mathbf{b}^{(2)}} &= \mathbf{I}_{K}",
    "p1.backward.dW2": r"d\mathbf{W}^{(2)} &= \left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}} "
                       r"\frac{\partial \hat{\mathbf{y}}}{\partial \mathbf{z}_{3}}\right)^{\top} "
                       r"\left(5 \operatorname{ReLU}(\mathbf{W}^{(1)} \mathbf{x} + "
                       r"\mathbf{b}^{(1)})\right)^{\top}",
    "p1.backward.db2": r"d\mathbf{b}^{(2)} &= \left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}} "
                       r"\frac{\partial \hat{\mathbf{y}}}{\partial \mathbf{z}_{3}}\right)^{\top}",
    "p1.backward.dW1": r"d\mathbf{W}^{(1)} &= \left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}} "
                       r"\frac{\partial \hat{\mathbf{y}}}{\partial \mathbf{z}_{3}} \mathbf{W}^{(2)} "
                       r"\frac{\partial \mathbf{z}_{2}}{\partial \mathbf{z}_{1}}\right)^{\top} "
                       r"\mathbf{x}^{\top}",
    "p1.jacobian.dz2_dz1.ij": r"\left(\frac{\partial \mathbf{z}_{2}}{\partial \mathbf{z}_{1}}\right)_{ij} "
                              r"&= 5 \delta_{i j} \mathbf{1}[z_{1,i} > 0]",
    "p1.jacobian.dl_dyhat": r"\frac{\partial \ell}{\partial \hat{\mathbf{y}}} &= 2 "
                            r"\left(\hat{\mathbf{y}} - \mathbf{y}\right)^{\top}",
    "p1.sgd.step": r"\boldsymbol{\theta}' &= \boldsymbol{\theta} - \eta \nabla_{\boldsymbol{\theta}} \ell",
    "p2.dloss_dc": r"\frac{\partial L(c\hat{\mathbf{w}})}{\partial c} &= - \sum_{i=1}^{N} "
                   r"\frac{m_{i}}{1 + e^{c m_{i}}}",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_latex(name):
    assert claims.by_name(name).latex == EXPECTED[name]


def test_transpose_of_a_superscripted_symbol_is_not_a_double_superscript():
    assert s.latex(T(s.W2)) == r"\mathbf{W}^{(2)\top}"
    assert s.latex(T(s.dl_dyhat)) == r"\left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}}\right)^{\top}"


def test_derivative_is_sympys_own():
    # the displayed derivative and sympy's unsimplified derivative agree symbolically, term by term
    term = sp.simplify(problem2.DERIVED.function + problem2.m[problem2.i]
                       / (1 + sp.exp(s.c * problem2.m[problem2.i])))
    assert term == 0


def test_claim_points_are_seeded():
    first = [p["x"].copy() for p in problem1.points()]
    problem1.points.cache_clear()
    again = [p["x"] for p in problem1.points()]
    assert all((a == b).all() for a, b in zip(first, again, strict=True))


def test_by_name_rejects_unknown_names():
    with pytest.raises(ValueError, match="no claim named 'nope'"):
        claims.by_name("nope")


def test_define_escapes_text_but_keeps_latex():
    from pylatex import NoEscape

    from hw1.typeset import define

    assert define("Cost", "5$ & 10%") == r"\newcommand{\Cost}{5\$ \& 10\%}"
    assert define("Config", NoEscape(r"$f = \tanh$")) == r"\newcommand{\Config}{$f = \tanh$}"
