"""Tests for verify_gradients on a student's PyTorch backprop: torch tensors in and out, float32,
torch's reductions ("mean", "sum" as in torch.nn.functional), and the diagnosis of a mistake.

Tolerances: in float64 the checker's own, 1e-10 against autograd.  In float32 the checker derives
each gradient's tolerance from float32 rounding (hw1.gradcheck's docstring) for each trial; a
correct implementation must land at least 10 times below it in every trial (err/tol <= 0.1), a
wrong one at least 10 times above (err/tol >= 10).  That bound is arithmetic, so these tests hold
for any BLAS kernel (OPENBLAS_CORETYPE, MKL, ...).

A few tests compare two float64 computations of the same numbers on problems whose longest sum
has B*K = 24 terms (torch's fused loss against hw1's, a mean taken in another order): there the
bound is gamma(24) = 24u/(1-24u) with u = 2^-53 the unit roundoff, widened to 1e-14 (about 4
gamma(24)) or 1e-13 where an activation's rounding and backpropagation through two layers add to
it.  The differences measured are at most 5e-16."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as tnf

from hw1 import reference
from hw1.gradcheck import (
    RTOL_AUTOGRAD,
    RTOL_FD,
    U32,
    GradientReport,
    diagnose,
    draw_problem,
    float32_tolerances,
    rel_err,
    verify_gradients,
)
from hw1.net import PARAM_NAMES, TwoLayerNet

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # see conftest.py

ACTS = ("relu", "sigmoid", "identity")
MSE_CONFIGS = [(f, g, "mse") for f in ACTS for g in ACTS]
BCE_CONFIGS = [(f, "sigmoid", "bce") for f in ACTS]
CONFIGS = MSE_CONFIGS + BCE_CONFIGS
IDS = ["-".join(c) for c in CONFIGS]
SEEDS = range(20)
MARGIN = 10          # a correct float32 result is 10x under its tolerance, a wrong one 10x over

# each activation and its derivative, as a student writes them with torch
TORCH = {
    "identity": (lambda z: z, lambda z: torch.ones_like(z)),
    "relu": (torch.relu, lambda z: (z > 0).to(z.dtype)),
    "sigmoid": (torch.sigmoid, lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z))),
}


def scale(loss: str, reduction: str | None, B: int, K: int) -> float:
    """The weight of one entry (point, output) in the batch's loss."""
    if reduction == "sum":
        return 1.0
    return 1.0 / B if reduction is None and loss == "mse" else 1.0 / (B * K)


def torch_backprop(f: str, g: str, loss: str = "mse", reduction: str | None = "mean", *,
                   mistake: str | None = None, bce_through_yhat: bool = False):
    """The exercise's network with hand-written backprop on torch tensors, parameters and
    gradients in dicts; ``mistake`` switches on one of the classic errors."""
    f_act, f_deriv = TORCH[f]
    g_act, g_deriv = TORCH[g]

    def backprop(params, x, y):
        W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
        B, K = y.shape
        s = scale(loss, reduction, B, K) * (B if mistake == "missing 1/B" else 1)
        z1 = x @ W1.T + b1                         # Linear1
        z2 = f_act(z1)                             # f
        z3 = z2 @ W2.T + b2                        # Linear2
        y_hat = g_act(z3)                          # g
        if loss == "mse":
            dz3 = s * 2 * (y_hat - y) * g_deriv(z3)   # dl/dz3 = dl/dy_hat g'(z3)
        elif bce_through_yhat:
            dyhat = s * (-(y / y_hat) + (1 - y) / (1 - y_hat))   # dl/dy_hat of the cross-entropy
            dz3 = dyhat * y_hat * (1 - y_hat)                   # times sigmoid'(z3)
        else:
            dz3 = s * (y_hat - y)                  # dl/dz3, sigmoid and cross-entropy fused
        dW2 = dz3.T @ z2                           # dl/dW2 = dz3^T z2
        db2 = dz3.sum(0)                           # dl/db2 = sum over the batch
        dz2 = dz3 @ W2                             # dl/dz2 = dz3 W2
        dz1 = dz2 * (1.0 if mistake == "relu' = 1" else f_deriv(z1))   # dl/dz1 = dz2 f'(z1)
        dW1 = x.T @ dz1 if mistake == "no transpose" else dz1.T @ x      # dl/dW1 = dz1^T x
        db1 = dz1.sum(0)                           # dl/db1 = sum over the batch
        return {"W1": dW1, "b1": db1, "W2": -dW2 if mistake == "sign dW2" else dW2,
                "b2": 5 * db2 if mistake == "5 db2" else db2}
    return backprop


def numpy_float32_backprop(params, x, y):
    """f = relu, g = identity, mse with reduction='mean', in numpy float32."""
    B, K = y.shape
    z1 = x @ params["W1"].T + params["b1"]
    z2 = np.maximum(z1, 0)
    dz3 = 2 * (z2 @ params["W2"].T + params["b2"] - y) / (B * K)
    dz1 = (dz3 @ params["W2"]) * (z1 > 0)
    assert dz1.dtype == np.float32, "the candidate must really compute in float32"
    return {"W1": dz1.T @ x, "b1": dz1.sum(0), "W2": dz3.T @ z2, "b2": dz3.sum(0)}


def check(candidate, f="relu", g="identity", loss="mse", **kwargs) -> GradientReport:
    kwargs = {"tensors": "torch", "reduction": "mean", **kwargs}
    return verify_gradients(candidate, f=f, g=g, loss=loss, **kwargs)


def row(report: GradientReport, name: str):
    return next(r for r in report.rows if r.name == name)


def failing(report: GradientReport) -> set[str]:
    return {r.name for r in report.rows if not r.ok(report.rtol_autograd, report.rtol_fd)}


# -- a correct torch implementation passes -----------------------------------------------------------
@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=IDS)
def test_correct_float32_torch_passes_with_margin(f, g, loss):
    report = check(torch_backprop(f, g, loss), f=f, g=g, loss=loss, dtype=torch.float32, seeds=SEEDS)
    assert report, str(report)
    assert report.dtype == "float32" and report.rtol_autograd is None and report.rtol_fd is None
    for r in report.rows:
        assert r.compared == len(SEEDS) and not r.diagnosis
        assert r.worst_autograd <= 1 / MARGIN, f"{r.name}: err/tol {r.worst_autograd:.3g}\n{report}"
        assert r.worst_fd <= 1 / MARGIN, f"{r.name}: err/tol {r.worst_fd:.3g}\n{report}"
        # float32 is visible (no float64 in disguise) and the tolerance leaves room to catch a mistake
        assert 0 < r.err_autograd and r.rtol_autograd <= 1e-3
        assert r.rtol_fd == pytest.approx(r.rtol_autograd + RTOL_FD, rel=1e-12)   # the FD term on top
    text = str(report)
    assert "reduction=mean, torch float32 tensors, 20 trials" in text
    assert "float32 rounding-error bound" in text and "err/tol" in text
    assert text.rstrip().endswith("all gradients match")


@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=IDS)
def test_correct_float64_torch_passes_against_1e_10(f, g, loss):
    report = check(torch_backprop(f, g, loss), f=f, g=g, loss=loss, dtype=torch.float64, seeds=SEEDS)
    assert report, str(report)
    assert report.rtol_autograd == RTOL_AUTOGRAD == 1e-10 and report.rtol_fd == RTOL_FD
    assert report.max_err_autograd <= RTOL_AUTOGRAD / MARGIN
    assert "torch float64 tensors, 20 trials, tolerances 1e-10 (autograd)" in str(report)


@pytest.mark.parametrize("reduction", [None, "mean", "sum"])
@pytest.mark.parametrize(("f", "g", "loss"), [("sigmoid", "identity", "mse"), ("relu", "sigmoid", "bce")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_reduction(f, g, loss, reduction, dtype):
    report = check(torch_backprop(f, g, loss, reduction), f=f, g=g, loss=loss, reduction=reduction,
                   dtype=dtype)
    assert report, str(report)
    assert all(r.worst_autograd <= 1 / MARGIN for r in report.rows) if dtype == "float32" else \
        report.max_err_autograd <= RTOL_AUTOGRAD / MARGIN


def test_bce_through_dl_dyhat_passes_in_float32():
    """The unfused chain dl/dy_hat * sigmoid'(z3) rounds more, and stays within the bound."""
    for f in ACTS:
        report = check(torch_backprop(f, "sigmoid", "bce", bce_through_yhat=True), f=f, g="sigmoid",
                       loss="bce", dtype="float32", seeds=SEEDS)
        assert report and all(r.worst_autograd <= 1 / MARGIN for r in report.rows), str(report)


def test_bfloat16_arithmetic_is_not_float32():
    """A correct formula computed in bfloat16 (u = 2^-8) is rounded far beyond the float32 bound."""
    good = torch_backprop("relu", "identity")

    def bfloat16(params, x, y):
        grads = good({k: v.bfloat16() for k, v in params.items()}, x.bfloat16(), y.bfloat16())
        return {k: v.float() for k, v in grads.items()}
    report = check(bfloat16, dtype="float32")
    assert not report and failing(report) == set(PARAM_NAMES)
    assert all(r.worst_autograd >= MARGIN and r.diagnosis == "no simple pattern" for r in report.rows)


def test_numpy_float32_candidate():
    report = verify_gradients(numpy_float32_backprop, f="relu", reduction="mean", dtype=np.float32,
                              seeds=SEEDS)
    assert report, str(report)
    assert report.tensors == "numpy" and "numpy float32 arrays" in str(report)
    assert all(r.worst_autograd <= 1 / MARGIN and r.err_autograd > 0 for r in report.rows)


@pytest.mark.parametrize("dtype", [None, "float64", "float32", np.float32, np.float64, torch.float32,
                                   torch.float64, np.dtype("float32")])
def test_the_candidate_gets_what_it_asked_for(dtype):
    seen = []

    def candidate(params, x, y):
        given = (*params.values(), x, y)
        seen.append({type(v) for v in given} | {str(v.dtype) for v in given})
        assert not x.requires_grad and x.device.type == "cpu"
        return torch_backprop("relu", "identity")(params, x, y)
    report = check(candidate, dtype=dtype, seeds=range(2))
    want = "float32" if "32" in str(dtype) else "float64"
    assert report and report.dtype == want
    assert seen == [{torch.Tensor, f"torch.{want}"}] * 2


def test_float32_problem_is_the_rounded_one():
    """The references see exactly the float32 numbers the candidate got: its float64 autograd on
    those inputs is then (nearly) exact, so a float64 computation of them passes the float32 check
    at ~1e-16, far below what unrounded references would allow."""
    def upcast(params, x, y):
        return torch_backprop("sigmoid", "identity")({k: v.double() for k, v in params.items()},
                                                     x.double(), y.double())
    report = check(upcast, f="sigmoid", dtype="float32")
    assert report and report.max_err_autograd <= 1e-14, str(report)


# -- returned tensors of any kind are read, never crashed on --------------------------------------
def returning(convert):
    def candidate(params, x, y):
        return {k: convert(v) for k, v in torch_backprop("relu", "identity")(params, x, y).items()}
    return candidate


def test_returned_tensors_that_require_grad_are_read():
    report = check(returning(lambda t: t.clone().requires_grad_(True)), dtype="float32")
    assert report, str(report)


def test_returned_numpy_arrays_and_float32_tensors_are_read():
    assert check(returning(lambda t: t.numpy()), dtype="float32")
    assert check(returning(lambda t: t.numpy()))
    # float32 results in a float64 check: read, and (rightly) not float64-accurate
    report = check(returning(lambda t: t.float()))
    assert not report and 1e-9 < report.max_err_autograd < 1e-5
    assert all(r.reason == "" for r in report.rows) and "Traceback" not in str(report)
    # ... and the report says how to check a float32 computation
    assert "note: the candidate returned float32 gradients" in str(report)
    assert "pass dtype=torch.float32" in str(report)
    assert not check(returning(lambda t: t.numpy()), dtype="float32").notes   # no note when it passes


@pytest.mark.parametrize(("convert", "reason"), [
    (lambda t: torch.empty(t.shape, device="meta"), r"not a float array: a torch tensor of shape .* on meta"),
    (lambda t: t.to(torch.complex128), r"not a float array: a torch tensor .*complex128.*\(TypeError\)"),
])
def test_unreadable_tensors_are_failures_with_a_reason(convert, reason):
    report = check(returning(convert))
    assert not report
    assert all(r.reason and not r.compared for r in report.rows)
    assert re.search(reason, str(report)), str(report)


# -- wrong versions are rejected and diagnosed -------------------------------------------------------
WRONG = {   # mistake: (f, n, d, failing gradients, diagnosis)
    "5 db2": ("relu", 4, 5, {"b2"}, "factor 5"),
    "missing 1/B": ("relu", 4, 5, set(PARAM_NAMES), "factor B = 8"),
    "no transpose, square": ("relu", 5, 5, {"W1"}, "transposed"),
    "no transpose, non-square": ("relu", 4, 5, {"W1"}, "transposed"),
    "sign dW2": ("relu", 4, 5, {"W2"}, "opposite sign"),
    "relu' = 1": ("relu", 4, 5, {"W1", "b1"}, "no simple pattern"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(WRONG))
def test_wrong_versions_are_rejected_and_diagnosed(kind, dtype):
    f, n, d, bad, diagnosis = WRONG[kind]
    mistake = kind.split(",")[0]
    report = check(torch_backprop(f, "identity", mistake=mistake), f=f, n=n, d=d, dtype=dtype, seeds=SEEDS)
    assert not report
    assert failing(report) == bad, str(report)
    text = str(report)
    assert text.rstrip().endswith("=> MISMATCH")
    for r in report.rows:
        if r.name not in bad:
            assert r.ok() if dtype == "float32" else r.ok(RTOL_AUTOGRAD, RTOL_FD)
            assert not r.diagnosis
            continue
        assert r.diagnosis == diagnosis, str(report)
        assert diagnosis in text
        if r.compared:   # wrong by far more than the tolerance
            if dtype == "float32":
                assert r.worst_autograd >= MARGIN
            assert r.err_autograd >= 0.1 >= MARGIN * r.rtol_autograd
    if kind == "no transpose, non-square":
        w1 = row(report, "W1")
        assert w1.shape_ok is False and w1.reason == "shape (4, 5), expected (5, 4)"
        assert "FAIL: shape (4, 5), expected (5, 4); transposed" in text


def test_random_noise_gradients_claim_no_pattern():
    rng = np.random.default_rng(0)

    def noise(params, x, y):
        return {k: torch.from_numpy(rng.normal(size=tuple(v.shape))) for k, v in params.items()}
    for dtype in ("float32", "float64"):
        report = check(noise, n=5, d=5, dtype=dtype)
        assert not report and failing(report) == set(PARAM_NAMES)
        assert [r.diagnosis for r in report.rows] == ["no simple pattern"] * 4, str(report)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_small_random_error_is_not_called_a_factor(dtype):
    """Right gradients with 1e-3 relative noise: a least-squares factor near 1 exists, but it does
    not explain the mismatch, so none is claimed."""
    rng = np.random.default_rng(1)

    def noisy(params, x, y):
        grads = torch_backprop("relu", "identity")(params, x, y)
        return {k: v * (1 + 1e-3 * torch.from_numpy(rng.normal(size=tuple(v.shape))).to(v.dtype))
                for k, v in grads.items()}
    report = check(noisy, dtype=dtype)
    assert not report and failing(report) == set(PARAM_NAMES)
    assert [r.diagnosis for r in report.rows] == ["no simple pattern"] * 4, str(report)


def test_a_factor_in_some_trials_only_is_no_pattern():
    calls = []

    def candidate(params, x, y):
        calls.append(1)
        grads = torch_backprop("relu", "identity")(params, x, y)
        return {**grads, "b2": grads["b2"] * (5 if len(calls) > 2 else 1)}
    report = check(candidate, seeds=range(5))
    assert failing(report) == {"b2"} and row(report, "b2").diagnosis == "no simple pattern"


def test_named_factors():
    """The homework convention (per point ||.||^2, mean over the batch) checked as torch's 'mean'
    is off by K; as 'sum' by 1/B.  When two names share the value, both are listed."""
    def homework(params, x, y):
        net = TwoLayerNet.from_params(params, "relu", "identity")
        return net.backward(net.forward(x), y)
    cases = [({"reduction": "mean"}, "factor K = 3"),
             ({"reduction": "sum"}, "factor 1/B = 1/8"),
             ({"reduction": "sum", "batch": 3}, "factor 1/B = 1/K = 1/3"),   # B = K: both names
             ({"reduction": "mean", "K": 4}, "factor K = 4"),
             ({"reduction": "mean", "K": 8}, "factor B = K = 8"),                # B = K: both names
             ({"reduction": "mean", "K": 2}, "factor K = 2")]
    for kwargs, diagnosis in cases:
        report = verify_gradients(homework, f="relu", seeds=range(3), **kwargs)
        assert [r.diagnosis for r in report.rows] == [diagnosis] * 4, (kwargs, str(report))
    # the sum instead of the mean over all B K entries
    summed = torch_backprop("relu", "identity", reduction="sum")
    for batch, K, diagnosis in [(8, 3, "factor B*K = 24"), (3, 3, "factor B*K = 9"),
                                (1, 3, "factor K = B*K = 3")]:
        report = check(summed, batch=batch, K=K, seeds=range(3))
        assert [r.diagnosis for r in report.rows] == [diagnosis] * 4, str(report)
    # a missing 1/B with B = K, and with B = 5 (the same number as the homework's 5)
    missing = torch_backprop("relu", "identity", mistake="missing 1/B")
    for batch, K, diagnosis in [(3, 3, "factor B = K = 3"), (5, 3, "factor B = 5"), (2, 3, "factor B = 2")]:
        report = check(missing, batch=batch, K=K, seeds=range(3))
        assert [r.diagnosis for r in report.rows] == [diagnosis] * 4, str(report)


def test_other_diagnoses():
    good = torch_backprop("relu", "identity")

    def change(name, fn):
        return lambda p, x, y: {**good(p, x, y), name: fn(good(p, x, y)[name], x)}
    cases = [
        (change("W1", lambda g, x: torch.zeros_like(g)), "W1", "all zeros"),
        (change("b1", lambda g, x: g / 2), "b1", "factor 1/2"),
        (change("W2", lambda g, x: -g / x.shape[0]), "W2", "opposite sign and factor 1/B = 1/8"),
        (change("W2", lambda g, x: 3.7 * g), "W2", "factor 3.7"),
        (change("W1", lambda g, x: 2 * g.T), "W1", "transposed and factor 2"),
        (change("b2", lambda g, x: g[:, None]), "b2", "wrong shape (got (3, 1), expected (3,))"),
        (change("W1", lambda g, x: g.reshape(2, 10)), "W1", "wrong shape (got (2, 10), expected (5, 4))"),
        (change("W1", lambda g, x: g.T.flip(0)), "W1", "wrong shape (got (4, 5), expected (5, 4))"),
    ]
    for candidate, name, diagnosis in cases:
        report = check(candidate, seeds=range(3))
        assert failing(report) == {name}, str(report)
        assert row(report, name).diagnosis == diagnosis, str(report)
        if diagnosis.startswith("wrong shape"):   # said once, by the row's reason
            got = diagnosis.split("got ")[1].split(", expected")[0]
            assert f"FAIL: shape {got}, expected" in str(report) and "wrong shape" not in str(report)
        else:
            assert diagnosis.split(" (")[0] in str(report)


def test_a_factor_near_1_shows_its_digits():
    good = torch_backprop("relu", "identity")
    for slip, diagnosis in [(1e-9, "factor 1.000000001"), (3e-12, "factor 1.000000000003")]:
        report = check(lambda p, x, y, s=slip: {k: v * (1 + s) for k, v in good(p, x, y).items()},
                       rtol_autograd=1e-12)
        assert not report and [r.diagnosis for r in report.rows] == [diagnosis] * 4, str(report)


def test_no_factor_from_a_single_number():
    """K = 1 and one trial: db2 is one number, any mismatch is 'a factor': none is claimed."""
    good = torch_backprop("relu", "identity")
    candidate = lambda p, x, y: {**good(p, x, y), "b2": 5 * good(p, x, y)["b2"]}   # noqa: E731
    assert row(check(candidate, K=1, seeds=[0]), "b2").diagnosis == "no simple pattern"
    assert row(check(candidate, K=1, seeds=[0, 1]), "b2").diagnosis == "factor 5"


def test_diagnose_needs_the_factor_to_fit_each_trial():
    ref = np.arange(1.0, 7.0).reshape(2, 3)
    assert diagnose([(5 * ref, ref, 1e-10)] * 2, (2, 3), 8, 3) == "factor 5"
    off = 5 * ref * (1 + 1e-6)
    assert diagnose([(5 * ref, ref, 1e-10), (off, ref, 1e-10)], (2, 3), 8, 3) == "no simple pattern"
    assert diagnose([(5 * ref * (1 + 1e-6), ref, 1e-5)], (2, 3), 8, 3) == "factor 5"
    assert diagnose([(ref.T, ref, 1e-10)], (2, 3), 8, 3) == "transposed"
    assert diagnose([], (2, 3), 8, 3) == ""


# -- the float32 tolerance ---------------------------------------------------------------------------
def test_float32_tolerances_are_the_documented_bound():
    """n = d = K = B = 1, f = g = identity, mse, reduction None: by hand, z3 = w2 (w1 x + b1) + b2,
    dz3 = 2 (z3 - y); E_z1 = 2 (|w1 x| + |b1|), E_z3 = |w2| E_z1 + 2 (|w2 z1| + |b2|), E_r = E_z3 +
    |r|, E_dz3 = 2 E_r + 4 |dz3|, and E_db2 = E_dz3 + |dz3|: tolerance 2 u E_db2 / |db2|."""
    x, y, w1, b1, w2, b2 = 0.5, -1.0, 2.0, 0.25, -0.75, 0.125
    params = {"W1": np.array([[w1]]), "b1": np.array([b1]), "W2": np.array([[w2]]), "b2": np.array([b2])}
    z1 = w1 * x + b1
    z3 = w2 * z1 + b2
    r, dz3 = z3 - y, 2 * (z3 - y)
    E_z3 = abs(w2) * 2 * (abs(w1 * x) + abs(b1)) + 2 * (abs(w2 * z1) + abs(b2))
    E_dz3 = 2 * (E_z3 + abs(r)) + 4 * abs(dz3)
    tol, crossed = float32_tolerances(params, [[x]], [[y]], "identity", "identity", "mse")
    assert not crossed
    assert tol["b2"] == pytest.approx(2 * U32 * (E_dz3 + abs(dz3)) / abs(dz3), rel=1e-12)
    assert tol["W2"] == pytest.approx(2 * U32 * (E_dz3 * abs(z1) + abs(dz3) * 2 * (abs(w1 * x) + abs(b1))
                                                 + abs(dz3 * z1)) / abs(dz3 * z1), rel=1e-12)


def test_float32_tolerances_catch_a_kink_within_rounding():
    params, x, y, _ = draw_problem(0, "relu", "relu", "mse", 4, 5, 3, 8)
    z3 = np.maximum(x @ params["W1"].T + params["b1"], 0) @ params["W2"].T
    params["b2"] = -z3[0]                                # point 0 sits on the kink of g
    _, crossed = float32_tolerances(params, x, y, "relu", "relu", "mse")
    assert crossed == ["z3 = relu's input comes within float32 rounding of its kink at 0"]
    params["b2"] += 1e-3                                 # 1e-3 away: far outside float32 rounding
    assert float32_tolerances(params, x, y, "relu", "relu", "mse")[1] == []


def test_float32_tolerances_scale_with_the_sums():
    """More terms in a sum, more rounding: the tolerance grows with the batch."""
    small = check(torch_backprop("relu", "identity"), dtype="float32", batch=4, seeds=range(5))
    large = check(torch_backprop("relu", "identity"), dtype="float32", batch=256, seeds=range(5))
    assert small and large
    assert row(large, "b2").rtol_autograd > row(small, "b2").rtol_autograd


def gamma(k: int) -> float:
    """Higham's gamma_k = k u / (1 - k u): the relative error bound of a k-term float64 sum."""
    u = 2.0 ** -53
    return k * u / (1 - k * u)


# -- reductions match torch.nn.functional ----------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reference_reductions_are_torchs(reduction):
    for loss, g in (("mse", "sigmoid"), ("bce", "sigmoid")):
        params, x, y, _ = draw_problem(3, "relu", g, loss, 4, 5, 3, 8)
        theta = reference.as_tensors(params, requires_grad=True)
        y_hat = torch.sigmoid(torch.relu(torch.from_numpy(x) @ theta["W1"].T + theta["b1"]) @ theta["W2"].T
                              + theta["b2"])
        fn = tnf.mse_loss if loss == "mse" else tnf.binary_cross_entropy
        want = fn(y_hat, torch.from_numpy(y), reduction=reduction)
        want.backward()
        with torch.no_grad():
            got = reference.loss(reference.as_tensors(params), x, y, "relu", g, loss, reduction)
        assert got.item() == pytest.approx(want.item(), rel=1e-14)
        auto = reference.autograd_gradients(params, x, y, "relu", g, loss, reduction)
        fd = reference.finite_difference_gradients(params, x, y, "relu", g, loss, 6e-6, reduction)
        for k in PARAM_NAMES:
            assert rel_err(auto[k], theta[k].grad.numpy()) <= 1e-13
            assert rel_err(fd[k], auto[k]) <= RTOL_FD


def test_bce_reduction_none_is_the_mean():
    """hw1.losses' bce (mean over the K outputs, then over the batch) is torch's 'mean'."""
    params, x, y, _ = draw_problem(1, "tanh", "sigmoid", "bce", 4, 5, 3, 8)
    a = reference.autograd_gradients(params, x, y, "tanh", "sigmoid", "bce", None)
    b = reference.autograd_gradients(params, x, y, "tanh", "sigmoid", "bce", "mean")
    assert all(rel_err(a[k], b[k]) <= gamma(24) for k in PARAM_NAMES)   # a mean of B*K = 24 terms


# -- bad arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tensors": "jax"}, r"tensors must be 'numpy' or 'torch' \(what the candidate gets\), "
                         r"got 'jax' \(str\)"),
    ({"tensors": None}, r"tensors must be 'numpy' or 'torch'.*got None"),
    ({"dtype": torch.int32}, r"dtype must be float32 or float64 \(torch\.float32, numpy\.float32 or "
                             r"'float32'; None means float64\), got torch\.int32 \(dtype\)"),
    ({"dtype": "float16"}, r"dtype must be float32 or float64 .*got 'float16' \(str\)"),
    ({"dtype": torch.bfloat16}, r"dtype must be float32 or float64 .*got torch\.bfloat16"),
    ({"dtype": "avg"}, r"dtype must be float32 or float64 .*got 'avg'"),
    ({"reduction": "avg"}, r"reduction must be None \(the homework's convention\), 'mean' or 'sum' "
                           r"\(as in torch\.nn\.functional\.mse_loss\), got 'avg' \(str\)"),
    ({"reduction": "none"}, r"reduction must be None .*got 'none'"),
    ({"rtol_autograd": "1e-3"}, r"rtol_autograd must be a positive finite number, got '1e-3' \(str\)"),
    ({"rtol_fd": -1.0}, r"rtol_fd must be a positive finite number, got -1\.0 \(float\)"),
    ({"rtol_fd": float("nan")}, r"rtol_fd must be a positive finite number, got nan"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        verify_gradients(torch_backprop("relu", "identity"), **kwargs)


def test_explicit_tolerances_override_the_derived_ones():
    report = check(torch_backprop("relu", "identity"), dtype="float32", rtol_autograd=1e-9, rtol_fd=1e-6)
    assert not report and report.rtol_autograd == 1e-9    # float32 cannot reach 1e-9
    assert "tolerances 1e-09 (autograd), 1e-06 (finite diff.)" in str(report)
    assert [r.diagnosis for r in report.rows] == ["no simple pattern"] * 4    # rounding is no pattern
    loose = check(torch_backprop("relu", "identity"), dtype="float32", rtol_autograd=1e-4)
    assert loose and loose.rtol_fd is None and "vs fin.diff tol + 1e-06" in str(loose)
