"""Claims: a displayed formula is printed by sympy and verified by numbers, and wrong formulas
(sign, factor, transpose and Jacobian slips) fail.  The mechanism is tested on claims built
here; the document's own claims are tested for what must hold whatever the author writes."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import sympy as sp

from hw1 import claims
from hw1 import symbolic as s
from hw1.claims import Claim, ElementClaim, entry
from hw1.symbolic import T, add, mm, neg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- whatever the author declares ------------------------------------------------------------------
DECLARED = claims.all_claims()
MISTAKES = claims.draft_claims()


def test_names_are_unique():
    names = [c.name for c in DECLARED + MISTAKES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("claim", DECLARED, ids=lambda c: c.name)
def test_every_declared_claim_holds(claim):
    result = claim.verify()
    assert result.ok, str(result)
    assert result.points >= 1 and result.max_rel_err <= claim.tol


@pytest.mark.parametrize("claim", MISTAKES, ids=lambda c: c.name)
def test_every_mistake_kept_on_record_is_rejected(claim):
    result = claim.verify()
    assert not result.ok, str(result)


@pytest.mark.parametrize("claim", DECLARED[:3], ids=lambda c: c.name)
def test_verifying_twice_gives_the_same_numbers(claim):
    assert claim.verify() == claim.verify()


# -- the mechanism, on claims built here -------------------------------------------------------------
@cache
def network_points() -> tuple[dict, ...]:
    """Seeded points of the network (f = 5 ReLU, g = identity, MSE) with torch's gradients and
    Jacobians as references; distinct sizes so that a missing transpose cannot pass."""
    import torch
    from torch.autograd.functional import jacobian

    from hw1 import reference
    from hw1.gradcheck import draw_problem

    out = []
    for seed in range(5):
        params, x, y, _ = draw_problem(seed, "5relu", "identity", "mse", n=3, d=4, K=2, batch=1)
        theta = reference.as_tensors(params)
        t = {k: v[0] for k, v in reference.layers(theta, torch.from_numpy(x), "5relu", "identity").items()}
        grads = reference.autograd_gradients(params, x, y, "5relu", "identity", "mse")
        target = torch.from_numpy(y[0])
        dl_dyhat = jacobian(lambda v, target=target: ((v - target) ** 2).sum(), t["y_hat"]).numpy()[None]
        col = lambda v: np.asarray(v, dtype=np.float64).reshape(-1, 1)  # noqa: E731
        out.append({
            "n": 3, "d": 4, "K": 2, "x": col(x[0]), "y": col(y[0]),
            "W1": params["W1"], "b1": col(params["b1"]), "W2": params["W2"], "b2": col(params["b2"]),
            "z1": col(t["z1"]), "z2": col(t["z2"]), "y_hat": col(t["y_hat"]),
            "dl_dyhat": dl_dyhat,
            "dyhat_dz3": np.eye(2),
            "dz2_dz1": jacobian(reference.activation("5relu"), t["z1"]).numpy(),
            "torch": {"z3": t["z3"].numpy(), **{"d" + k: v for k, v in grads.items()},
                      "dl_dyhat": dl_dyhat},
        })
    return tuple(out)


def network_claim(lhs, rhs, key: str, cls=Claim, **kwargs) -> Claim:
    return cls("test." + key, lhs, rhs, points=network_points,
               reference=lambda p: {"torch": p["torch"][key]}, **kwargs)


Z1 = add(mm(s.W1, s.x), s.b1)
DELTA3 = mm(s.dl_dyhat, s.dyhat_dz3)
DELTA1 = mm(s.dl_dyhat, s.dyhat_dz3, s.W2, s.dz2_dz1)
RIGHT = {
    "z3": (s.z3, add(mm(5, s.W2, s.ReLU(Z1)), s.b2)),
    "db1": (s.db1, T(DELTA1)),
    "dW2": (s.dW2, mm(T(DELTA3), T(mm(5, s.ReLU(Z1))))),
    "dW1": (s.dW1, mm(T(DELTA1), T(s.x))),
    "dl_dyhat": (s.dl_dyhat, mm(2, T(add(s.y_hat, neg(s.y))))),
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_right_formulas_hold(key):
    result = network_claim(*RIGHT[key], key).verify()
    assert result.ok and result.max_rel_err < 1e-12, str(result)
    assert result.points == 5 and result.method == "torch"


@pytest.mark.parametrize("key, wrong", [
    ("z3", add(mm(5, s.W2, s.ReLU(Z1)), neg(s.b2))),                  # sign
    ("db1", mm(2, T(DELTA1))),                                         # factor
    ("dW2", mm(T(DELTA3), mm(5, s.ReLU(Z1)))),                         # missing transpose
    ("dW1", mm(T(mm(s.dl_dyhat, s.dyhat_dz3, s.W2)), T(s.x))),         # missing Jacobian
    ("dl_dyhat", mm(2, T(add(s.y, neg(s.y_hat))))),                    # sign
])
def test_wrong_formulas_are_rejected(key, wrong):
    result = network_claim(RIGHT[key][0], wrong, key).verify()
    assert not result.ok, str(result)


def test_a_claim_that_cannot_be_evaluated_fails_with_a_reason():
    result = network_claim(s.z3, mm(s.W1, s.y), "z3").verify()   # (d x n)(K x 1): undefined
    assert not result.ok and result.max_rel_err == float("inf")
    assert "cannot multiply" in result.reason


def test_a_reference_of_another_shape_fails_with_a_reason():
    result = network_claim(s.db1, T(DELTA3), "db1").verify()      # K entries against d
    assert not result.ok and "shape" in result.reason


def _line_of(fn) -> int:
    import inspect

    return inspect.getsourcelines(fn)[1] + 1   # the body's first line: where it raises


def _no_such_key(point):
    return {"numpy": point["no such key"]}


def _points_with_a_typo():
    return [{"tt": 1.0}][0]["t"]


def test_an_error_in_the_references_code_is_kept_with_where_it_was_raised():
    t = sp.Symbol("t")
    result = Claim("typo", t, 2 * t, points=lambda: [{"t": 1.0}], reference=_no_such_key).verify()
    assert not result.ok and isinstance(result.error, KeyError)
    assert result.reason == (f"against= raised KeyError: 'no such key' at "
                             f"tests/test_claims.py:{_line_of(_no_such_key)}")


def test_an_error_in_the_points_code_is_kept_with_where_it_was_raised():
    t = sp.Symbol("t")
    result = Claim("typo", t, 2 * t, points=_points_with_a_typo, reference=lambda p: {}).verify()
    assert not result.ok and isinstance(result.error, KeyError) and result.points == 0
    assert result.reason == ("points= raised KeyError: 't' at "
                             f"tests/test_claims.py:{_line_of(_points_with_a_typo)}")


def test_a_formula_that_raises_when_evaluated_fails_without_an_error():
    t = sp.Symbol("t")   # the point lacks t: the formula cannot be evaluated, the claim fails
    result = Claim("lacks", t, 2 * t, points=lambda: [{"u": 1.0}], reference=lambda p: {"x": 1.0}).verify()
    assert not result.ok and result.error is None
    assert result.reason.startswith("evaluation failed: ValueError: claim lacks: the point has no value for")


def test_an_element_wise_claim_is_checked_entry_by_entry():
    z1 = s.indexed("z1", "z", "1")
    rhs = sp.Mul(5, sp.KroneckerDelta(s.i, s.j), sp.Heaviside(z1[s.i], 0), evaluate=False)
    claim = ElementClaim("test.dz2_dz1.ij", s.dz2_dz1, rhs, points=network_points,
                         reference=lambda p: {"jacobian": p["dz2_dz1"]})
    assert claim.verify().ok
    assert claim.latex == (r"\left(\frac{\partial \mathbf{z}_{2}}{\partial \mathbf{z}_{1}}\right)_{ij} "
                           r"&= 5 \delta_{i j} \mathbf{1}[z_{1,i} > 0]")
    assert claim.space == r"i \in \{1, \dots, d\},\ j \in \{1, \dots, d\}"
    wrong = ElementClaim("test.wrong", s.dz2_dz1, sp.KroneckerDelta(s.i, s.j), points=network_points,
                         reference=lambda p: {"jacobian": p["dz2_dz1"]})
    assert not wrong.verify().ok


def test_indices_run_as_printed_from_one_everywhere():
    """A free index given by a point, a sum's index and an element-wise claim's i, j all count
    from 1, as the PDF prints them: k=2 is the second entry."""
    q, N = sp.IndexedBase("q"), sp.Symbol("N")
    k, i = sp.symbols("k i", integer=True)
    entries = np.array([1.0, 10.0, 100.0])
    second = Claim("test.second", "q_k", 3 * q[k], points=lambda: [{"q": entries, "k": 2}],
                   reference=lambda p: {"numpy": 3 * 10.0})
    assert second.verify().ok, second.verify()
    weighted = Claim("test.weighted", "S", sp.Sum(i * q[i], (i, 1, N)),
                     points=lambda: [{"q": entries, "N": 3}],
                     reference=lambda p: {"numpy": 1 * 1.0 + 2 * 10.0 + 3 * 100.0})
    assert weighted.verify().ok, weighted.verify()
    M = sp.MatrixSymbol("M", 2, 3)
    rows_by_index = ElementClaim("test.ij", M, 10 * s.i + s.j, points=lambda: [{}],
                                 reference=lambda p: {"numpy": [[11.0, 12.0, 13.0], [21.0, 22.0, 23.0]]})
    assert rows_by_index.verify().ok, rows_by_index.verify()


def test_the_logistic_derivative_with_the_wrong_sign_is_rejected():
    import torch

    m, N, i = sp.IndexedBase("m"), sp.Symbol("N", integer=True), sp.Symbol("i", integer=True)
    rng = np.random.default_rng(0)

    def points():
        out = []
        for c in (0.0, 0.5, 3.0):
            margins = rng.uniform(0.1, 2.0, 6)
            ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
            torch.nn.functional.softplus(-ct * torch.from_numpy(margins)).sum().backward()
            out.append({"c": c, "m": margins, "N": 6, "autograd": ct.grad.item()})
        return out

    term = m[i] / (1 + sp.exp(s.c * m[i]))
    right = Claim("test.dloss", "L'", sp.Mul(-1, sp.Sum(term, (i, 1, N)), evaluate=False), points=points,
                  reference=lambda p: {"autograd": p["autograd"]})
    wrong = Claim("test.dloss", "L'", sp.Sum(term, (i, 1, N)), points=points,
                  reference=lambda p: {"autograd": p["autograd"]})
    assert right.verify().ok and not wrong.verify().ok


# -- making a claim from a declaration ----------------------------------------------------------------
def test_make_passes_the_inputs_its_functions_name():
    def points(run):
        return [{"a": v} for v in run["values"]]

    a = sp.Symbol("a")
    claim = claims.make("m.double", lambda: 2 * a, {"lhs": "2a", "points": points,
                                                    "against": lambda p: {"numpy": 2 * p["a"]}, "tol": None},
                        {"run": {"values": [1.0, 2.5]}}, where="doc/m.py:9")
    result = claim.verify()
    assert result.ok and result.points == 2 and result.where == "doc/m.py:9"
    assert claim.latex == "2a &= 2 a"          # a string left side is the author's LaTeX
    assert claim.space == ""


def test_make_builds_an_element_wise_claim_from_entry():
    claim = claims.make("m.e", lambda: sp.KroneckerDelta(s.i, s.j),
                        {"lhs": entry(s.dyhat_dz3), "points": network_points,
                         "against": lambda p: {"eye": p["dyhat_dz3"]}}, {})
    assert isinstance(claim, ElementClaim) and claim.verify().ok


@pytest.mark.parametrize("options, message", [
    ({"points": lambda: [], "against": lambda p: {}}, "needs lhs="),
    ({"lhs": "x", "against": lambda p: {}}, "needs points="),
    ({"lhs": "x", "points": [1], "against": lambda p: {}}, "must be functions"),
])
def test_make_says_what_a_declaration_lacks(options, message):
    with pytest.raises(ValueError, match=message):
        claims.make("m.x", lambda: sp.Integer(1), options, {})


# -- the printer: what the page shows -----------------------------------------------------------------
def test_transpose_of_a_superscripted_symbol_is_not_a_double_superscript():
    assert s.latex(T(s.W2)) == r"\mathbf{W}^{(2)\top}"
    assert s.latex(T(s.dl_dyhat)) == r"\left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}}\right)^{\top}"


def test_the_layers_and_the_gradients_print_as_in_the_homework():
    assert s.latex(RIGHT["z3"][1]) == (r"5 \mathbf{W}^{(2)} \operatorname{ReLU}(\mathbf{W}^{(1)} \mathbf{x} "
                                       r"+ \mathbf{b}^{(1)}) + \mathbf{b}^{(2)}")
    assert s.latex(RIGHT["dW1"][1]) == (r"\left(\frac{\partial \ell}{\partial \hat{\mathbf{y}}} "
                                        r"\frac{\partial \hat{\mathbf{y}}}{\partial \mathbf{z}_{3}} "
                                        r"\mathbf{W}^{(2)} \frac{\partial \mathbf{z}_{2}}{\partial "
                                        r"\mathbf{z}_{1}}\right)^{\top} \mathbf{x}^{\top}")
    assert s.latex(s.SquaredNorm(add(s.y_hat, neg(s.y)))) == \
        r"\left\lVert \hat{\mathbf{y}} - \mathbf{y} \right\rVert^{2}"
    assert s.latex(sp.Identity(s.K)) == r"\mathbf{I}_{K}"


def test_a_plain_symbol_is_not_written_like_a_registered_one_of_the_same_name():
    assert s.latex(2 * sp.Symbol("x")) == "2 x"
    assert s.latex(s.x) == r"\mathbf{x}"


def test_a_symbol_cannot_be_written_two_ways():
    s.matrix("test_q", 2, 2, r"\mathbf{Q}")
    s.matrix("test_q", 2, 2, r"\mathbf{Q}")            # the same again is fine
    with pytest.raises(ValueError, match="already written"):
        s.matrix("test_q", 2, 2, r"\mathbf{R}")


def test_by_name_rejects_unknown_names():
    with pytest.raises(ValueError, match="no claim named 'nope'"):
        claims.by_name("nope")


# -- numbers that are not finite never pass (nan compares as nothing: max(0.0, nan) is 0.0) --------
X = sp.Symbol("x")
SQUARE_POINTS = [{"x": 0.5}, {"x": 1.0}, {"x": 2.0}]


def scalar_claim(rhs, reference, points=SQUARE_POINTS) -> Claim:
    return Claim("test.scalar", sp.Symbol("y"), rhs, points=lambda: points, reference=reference)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_reference_that_is_not_finite_fails_naming_the_point_and_the_reference(bad):
    result = scalar_claim(7 * X**5, lambda p: {"hand": bad}).verify()
    assert not result.ok and result.max_rel_err == float("inf")
    assert result.reason == f"the reference 'hand' is not finite ({bad}) at point 1 of 3 (x=0.5)"


def test_a_reference_entry_that_is_not_finite_is_named_by_its_index():
    vector = sp.Symbol("v")
    claim = Claim("test.vector", sp.Symbol("y"), vector, points=lambda: [{"v": np.ones(3)}],
                  reference=lambda p: {"hand": [1.0, np.nan, 1.0]})
    result = claim.verify()
    assert not result.ok
    assert result.reason == ("the reference 'hand' is not finite (nan at entry 2) "
                             "at point 1 of 1 (v: (3,) array)")


def test_a_formula_that_evaluates_to_nan_fails_naming_the_formula_side():
    result = scalar_claim(sp.sqrt(-X**2 - 1), lambda p: {"hand": 1.0}).verify()
    assert not result.ok and result.max_rel_err == float("inf")
    assert result.reason == "the formula is not finite (nan) at point 1 of 3 (x=0.5)"


def test_a_formula_that_overflows_to_inf_at_a_later_point_names_that_point():
    result = scalar_claim(sp.exp(1000 * X), lambda p: {"numpy": np.exp(1000 * p["x"])},
                          points=[{"x": 0.1}, {"x": 0.8}, {"x": 1.0}]).verify()
    assert not result.ok
    assert result.reason == "the formula is not finite (inf) at point 2 of 3 (x=0.8)"


def test_the_relative_error_of_numbers_near_the_largest_float_is_measured_not_overflowed():
    big = np.finfo(np.float64).max
    assert claims.rel_err([big], [-big]) == 2.0               # |a - b| overflows; the ratio does not
    assert claims.rel_err([big], [big * (1 - 2**-52)]) == pytest.approx(2**-52, rel=1e-12)
    assert np.isnan(claims.rel_err([1.0], [np.nan]))


def test_a_claim_with_no_points_or_no_references_checked_nothing_and_fails():
    none = scalar_claim(2 * X, lambda p: {"numpy": 2 * p["x"]}, points=[]).verify()
    assert not none.ok and none.reason == "points= gave no points: nothing was checked"
    empty = scalar_claim(2 * X, lambda p: {}).verify()
    assert not empty.ok and empty.reason == "against= gave no references: nothing was compared"


def test_the_space_column_can_be_turned_off_per_claim():
    x = sp.Symbol("x")
    options = {"lhs": sp.Symbol("y"), "points": lambda: [{"x": 1.0}], "against": lambda p: {"numpy": 2.0}}
    shown = claims.make("m.f", lambda: 2 * x, options, {})
    hidden = claims.make("m.f", lambda: 2 * x, {**options, "space": False}, {})
    assert shown.space == r"\in \mathbb{R}" and hidden.space == "" and hidden.verify().ok
    with pytest.raises(ValueError, match="space= is True .* or False, got 'no'"):
        claims.make("m.f", lambda: 2 * x, {**options, "space": "no"}, {})


def test_worst_keeps_a_nan_wherever_it_comes():
    from hw1.engine.claims import worst

    assert worst([]) == 0.0 and worst([1e-16, 3e-16]) == 3e-16
    assert math.isnan(worst([1e-16, float("nan"), 2e-16]))   # max() would give 2e-16
    assert worst([1e-16, float("inf")]) == float("inf")
