"""Tests for hw1.gradcheck.verify_gradients: hw1's own backward passes it for every (f, g, loss)
of the homework over 20 seeded problems (<= 1e-12 against autograd, <= 1e-6 against central
finite differences); it rejects the wrong formulas a student could write and reports, never
raises, on a broken candidate; its input checks; and the error measure rel_err."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import hw1
from hw1.gradcheck import KINK_MARGIN, GradientReport, draw_problem, rel_err, verify_gradients
from hw1.net import PARAM_NAMES, TwoLayerNet

FS = ("5relu", "relu", "tanh", "sigmoid")
CONFIGS = [(f, g, "mse") for f in FS for g in ("identity", "sigmoid")] + [(f, "sigmoid", "bce") for f in FS]
RTOL_AUTOGRAD, RTOL_FD = 1e-12, 1e-6
FEW = range(3)    # seeds for candidates that must fail: one wrong seed is enough to fail


pytestmark = pytest.mark.usefixtures("one_torch_thread")   # see conftest.py


def hw1_backward(f: str, g: str, loss: str):
    def candidate(params, x, y):
        net = TwoLayerNet.from_params(params, f, g)
        return net.backward(net.forward(x), y, loss)
    return candidate


# -- hw1's own backward passes ---------------------------------------------------------------------
@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=["-".join(c) for c in CONFIGS])
def test_hw1_backward_passes_every_configuration(f, g, loss):
    report = verify_gradients(hw1_backward(f, g, loss), f=f, g=g, loss=loss, seeds=range(20),
                              rtol_autograd=RTOL_AUTOGRAD, rtol_fd=RTOL_FD)
    assert report, str(report)
    assert report.trials == 20 and not report.problems
    assert report.max_err_autograd <= RTOL_AUTOGRAD
    assert report.max_err_fd <= RTOL_FD
    assert [r.name for r in report.rows] == list(PARAM_NAMES)
    assert all(r.shape_ok and not r.reason for r in report.rows)
    text = str(report)
    assert f"f={f}, g={g}, loss={loss}, 20 trials" in text
    assert "vs autograd" in text and "vs fin.diff" in text
    for r in report.rows:
        assert f"{r.name:<6} {str(r.shape):<9} True" in text
    assert text.rstrip().endswith("all gradients match")


def test_default_tolerances_and_sizes_pass():
    report = verify_gradients(hw1_backward("5relu", "identity", "mse"))
    assert report and report.trials == 5
    assert report.rtol_autograd == 1e-10 and report.rtol_fd == 1e-6


def test_square_and_single_point_problems_pass():
    for n, d, K, batch in [(5, 5, 5, 1), (1, 1, 1, 1), (3, 7, 2, 16)]:
        report = verify_gradients(hw1_backward("tanh", "sigmoid", "bce"), f="tanh", g="sigmoid", loss="bce",
                                  n=n, d=d, K=K, batch=batch, seeds=FEW, rtol_autograd=RTOL_AUTOGRAD)
        assert report, str(report)
        assert [r.shape for r in report.rows] == [(d, n), (d,), (K, d), (K,)]


def test_draw_problem_avoids_the_kink_and_counts_rejections():
    total = 0
    for seed in range(30):
        params, x, y, rejected = draw_problem(seed, "relu", "identity", "bce", 4, 5, 3, 64)
        z1 = x @ params["W1"].T + params["b1"]
        assert np.min(np.abs(z1)) >= KINK_MARGIN
        assert x.shape == (64, 4) and y.shape == (64, 3) and 0.0 <= y.min() and y.max() <= 1.0
        total += rejected
    assert total > 0     # 320 entries of z1 a draw: often one falls within 1e-3 of the kink
    # with the default sizes (40 entries a draw), seeds 34 and 98 each need a second draw
    report = verify_gradients(hw1_backward("relu", "identity", "mse"), f="relu", seeds=[34, 98])
    assert report and report.rejected_near_kink >= 2
    assert "too close to the ReLU kink" in str(report)


# -- a candidate written from the homework's formulas, and wrong variants of it --------------------
def forward_5relu(params, x):
    """z1 = W1 x + b1, z2 = 5 ReLU(z1), y_hat = z3 = W2 z2 + b2 (f = 5relu, g = identity)."""
    z1 = x @ params["W1"].T + params["b1"]
    z2 = 5.0 * np.maximum(z1, 0.0)
    return z1, z2, z2 @ params["W2"].T + params["b2"]


def backprop_5relu(params, x, y, *, mask=lambda z1: 5.0 * (z1 > 0), db2_factor=1.0, transpose_dW1=False):
    """The batch-mean MSE gradients by the chain rule, with switches for the classic mistakes."""
    z1, z2, y_hat = forward_5relu(params, x)
    dz3 = 2.0 * (y_hat - y) / x.shape[0]        # dl/dz3, g = identity
    dz1 = (dz3 @ params["W2"]) * mask(z1)         # dl/dz1 = dl/dz3 W2 diag(f'(z1))
    return {
        "W1": x.T @ dz1 if transpose_dW1 else dz1.T @ x,
        "b1": dz1.sum(axis=0),
        "W2": dz3.T @ z2,
        "b2": db2_factor * dz3.sum(axis=0),
    }


def backprop_5_outside(params, x, y):
    """Derived from the wrong forward pass y_hat = 5 (W2 ReLU(z1) + b2), where the 5 also
    multiplies b2; consistent with itself, so only a check against the true model catches it."""
    z1 = x @ params["W1"].T + params["b1"]
    r = np.maximum(z1, 0.0)
    y_hat = 5.0 * (r @ params["W2"].T + params["b2"])
    du = 5.0 * 2.0 * (y_hat - y) / x.shape[0]       # dl/du for u = W2 r + b2, y_hat = 5 u
    dz1 = (du @ params["W2"]) * (z1 > 0)
    return {"W1": dz1.T @ x, "b1": dz1.sum(axis=0), "W2": du.T @ r, "b2": du.sum(axis=0)}


def check(candidate, **kwargs) -> GradientReport:
    return verify_gradients(candidate, **{"f": "5relu", "g": "identity", "loss": "mse", "seeds": FEW,
                                          "rtol_autograd": RTOL_AUTOGRAD, **kwargs})


def failing_rows(report: GradientReport) -> set[str]:
    return {r.name for r in report.rows if not r.ok(report.rtol_autograd, report.rtol_fd)}


def test_the_formulas_written_here_pass():
    """The variants below differ from this candidate only in the mistake each makes."""
    report = check(backprop_5relu, seeds=range(10))
    assert report, str(report)
    square = check(backprop_5relu, n=5, d=5)
    assert square, str(square)


def test_rejects_db2_with_a_factor_5():
    """dz3/db2 taken as 5 I instead of I."""
    report = check(lambda p, x, y: backprop_5relu(p, x, y, db2_factor=5.0))
    assert not report
    assert failing_rows(report) == {"b2"}
    b2 = next(r for r in report.rows if r.name == "b2")
    assert b2.err_autograd == pytest.approx(0.8, rel=1e-9)     # |5 g - g| / |5 g|
    assert b2.err_fd > RTOL_FD
    assert "MISMATCH" in str(report) and "FAIL" in str(report)


def test_rejects_gradients_of_5_times_the_whole_linear_layer():
    """y_hat = 5 (W2 ReLU(z1) + b2): a different model, so different gradients."""
    report = check(backprop_5_outside)
    assert not report
    assert failing_rows(report) == set(PARAM_NAMES)
    assert min(r.err_autograd for r in report.rows) > 1e-3


def test_rejects_a_relu_mask_without_the_factor_5():
    """f = 5 ReLU but f'(z) = 1[z > 0]: dW1 and db1 are 5 times too small."""
    report = check(lambda p, x, y: backprop_5relu(p, x, y, mask=lambda z1: (z1 > 0) * 1.0))
    assert not report
    assert failing_rows(report) == {"W1", "b1"}
    for r in report.rows:
        if r.name in ("W1", "b1"):
            assert r.err_autograd == pytest.approx(0.8, rel=1e-9)


def test_rejects_a_missing_transpose():
    """dW1 = x^T dz1 instead of dz1^T x: the shape is (n, d), not (d, n)."""
    report = check(lambda p, x, y: backprop_5relu(p, x, y, transpose_dW1=True))
    assert not report
    w1 = next(r for r in report.rows if r.name == "W1")
    assert not w1.shape_ok
    assert w1.reason == "shape (4, 5), expected (5, 4)"
    assert "W1     (5, 4)    False" in str(report)
    assert "FAIL: shape (4, 5), expected (5, 4)" in str(report)


def test_rejects_a_missing_transpose_when_the_shapes_agree():
    """n == d: x^T dz1 has the right shape and the wrong values."""
    report = check(lambda p, x, y: backprop_5relu(p, x, y, transpose_dW1=True), n=5, d=5)
    assert not report
    assert failing_rows(report) == {"W1"}
    w1 = next(r for r in report.rows if r.name == "W1")
    assert w1.shape_ok and not w1.reason
    assert w1.err_autograd > 0.1 and w1.err_fd > 0.1


def test_rejects_the_sum_instead_of_the_mean():
    report = check(lambda p, x, y: {k: v * x.shape[0] for k, v in backprop_5relu(p, x, y).items()})
    assert not report and failing_rows(report) == set(PARAM_NAMES)


def test_autograd_tolerance_is_tighter_than_finite_differences():
    """A relative slip of 1e-9 is below what finite differences can see, not below autograd's."""
    report = check(lambda p, x, y: {k: v * (1 + 1e-9) for k, v in backprop_5relu(p, x, y).items()})
    assert not report
    assert report.max_err_fd <= RTOL_FD
    assert 0.5e-9 <= report.max_err_autograd <= 2e-9


def test_every_seed_counts():
    """Right on the first problems and wrong on a later one is wrong."""
    calls = []

    def candidate(p, x, y):
        calls.append(1)
        return backprop_5relu(p, x, y, db2_factor=1.0 if len(calls) < 4 else 1.5)
    report = check(candidate, seeds=range(6))
    assert not report and failing_rows(report) == {"b2"}
    assert len(calls) == 6


def test_the_candidate_gets_copies():
    """A candidate that scribbles on its arguments is judged on the problem it was given."""
    def candidate(p, x, y):
        grads = backprop_5relu(p, x, y)
        for v in (*p.values(), x, y):
            v[...] = 0.0
        return grads
    assert check(candidate), "a candidate's writes to its inputs must not change the reference"


def test_accepts_numpy_compatible_results():
    def as_torch_and_lists(p, x, y):
        grads = backprop_5relu(p, x, y)
        return {"W1": torch.from_numpy(grads["W1"]), "b1": grads["b1"].tolist(), "W2": grads["W2"],
                "b2": tuple(grads["b2"])}
    assert check(as_torch_and_lists)


# -- broken candidates: a failing report with a reason, never a traceback --------------------------
def good(p, x, y):
    return backprop_5relu(p, x, y)


BROKEN = {
    "raises": (lambda p, x, y: 1 / 0, r"seed 0: candidate raised ZeroDivisionError: division by zero"),
    "raises a ValueError": (lambda p, x, y: TwoLayerNet(0, 1, 1), r"candidate raised ValueError: n must be"),
    "returns NaN": (lambda p, x, y: {**good(p, x, y), "W2": np.full((3, 5), np.nan)},
                    r"W2 .* FAIL: contains NaN or inf"),
    "returns inf": (lambda p, x, y: {**good(p, x, y), "b1": np.full(5, np.inf)},
                    r"b1 .* FAIL: contains NaN or inf"),
    "misses a key": (lambda p, x, y: {k: v for k, v in good(p, x, y).items() if k != "b1"},
                     r"b1 .* FAIL: missing from the candidate's result"),
    "returns a list": (lambda p, x, y: list(good(p, x, y).values()),
                       r"FAIL: candidate returned a list of length 4, expected a dict with keys"),
    "returns None": (lambda p, x, y: None, r"FAIL: candidate returned None \(NoneType\), expected a dict"),
    "wrong shape": (lambda p, x, y: {**good(p, x, y), "b2": good(p, x, y)["b2"][:, None]},
                    r"b2 .* FAIL: shape \(3, 1\), expected \(3,\)"),
    "scalar": (lambda p, x, y: {**good(p, x, y), "b2": 0.0}, r"b2 .* FAIL: shape \(\), expected \(3,\)"),
    "not numeric": (lambda p, x, y: {**good(p, x, y), "W1": "dW1"}, r"W1 .* FAIL: not a float array: 'dW1'"),
    "ragged": (lambda p, x, y: {**good(p, x, y), "W1": [[1.0], [1.0, 2.0]]},
               r"W1 .* FAIL: not a float array"),
    "tensor that requires grad": (
        lambda p, x, y: {**good(p, x, y), "b1": torch.zeros(5, dtype=torch.float64, requires_grad=True)},
        r"b1 .* FAIL: not a float array: .*\(RuntimeError\)"),
    "extra key": (lambda p, x, y: {**good(p, x, y), "W3": 1.0}, r"FAIL: unexpected key\(s\) \['W3'\]"),
}


def test_the_header_says_how_many_trials_were_compared_when_the_candidate_failed_midway():
    calls = []

    def fails_on_the_third_call(p, x, y):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("out of patience")
        return good(p, x, y)

    report = check(fails_on_the_third_call, seeds=range(5))
    assert not report and report.ran == 2 and report.trials == 5
    text = str(report)
    assert "2 of 5 trials compared" in text and "seed 2: candidate raised RuntimeError" in text
    assert ", 5 trials, " in str(check(good, seeds=range(5))).splitlines()[0]


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_candidate_is_a_failure_with_a_reason(kind):
    candidate, reason = BROKEN[kind]
    report = check(candidate)
    assert isinstance(report, GradientReport)
    assert not report
    text = str(report)
    assert text.rstrip().endswith("=> MISMATCH")
    assert text.count("\n") >= 6, "the table is printed even for a failure"
    assert re.search(reason, text), text


def test_verify_gradients_is_reachable_from_the_package():
    assert hw1.verify_gradients is verify_gradients
    assert hw1.GradientReport is GradientReport


# -- input checks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"f": "elu"}, r"unknown f 'elu'; expected one of identity, relu, 5relu, tanh, sigmoid"),
    ({"g": "softmax"}, r"unknown g 'softmax'; expected one of"),
    ({"loss": "hinge"}, r"unknown loss 'hinge'; expected one of mse, bce"),
    ({"loss": "bce"}, r"loss 'bce' needs g='sigmoid'.*got g='identity'"),
    ({"n": 0}, r"n must be a positive integer, got 0 \(int\)"),
    ({"d": -1}, r"d must be a positive integer, got -1"),
    ({"K": 1.0}, r"K must be a positive integer, got 1\.0 \(float\)"),
    ({"batch": 0}, r"batch must be a positive integer, got 0"),
    ({"seeds": []}, r"seeds is empty; expected at least one seed"),
    ({"seeds": range(0)}, r"seeds is empty"),
    ({"seeds": 5}, r"seeds must be an iterable of integers, e.g\. range\(5\), got 5 \(int\)"),
    ({"seeds": [0, -1]}, r"seeds must be non-negative integers, got -1 \(int\)"),
    ({"seeds": [0.5]}, r"seeds must be non-negative integers, got 0\.5 \(float\)"),
])
def test_verify_gradients_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        verify_gradients(good, **kwargs)


@pytest.mark.parametrize("candidate", [None, "dW", {"W1": 1}])
def test_verify_gradients_rejects_a_non_callable_candidate(candidate):
    with pytest.raises(ValueError, match=r"candidate must be callable as candidate\(params, x, y\), got "):
        verify_gradients(candidate)


# -- the error measure -----------------------------------------------------------------------------
def test_rel_err_is_normwise():
    assert rel_err([1.0, 2.0], [1.0, 2.5]) == pytest.approx(0.5 / 2.5, rel=1e-15)
    assert rel_err([1.0, 2.5], [1.0, 2.0]) == rel_err([1.0, 2.0], [1.0, 2.5])        # symmetric
    assert rel_err(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_err(0.0, 1e-300) == 1.0
    assert rel_err([1e-20, 1.0], [2e-20, 1.0]) == pytest.approx(1e-20)   # normwise, not elementwise
    assert rel_err([[3.0]], [[3.0]]) == 0.0
    assert rel_err([np.nextafter(1.0, 2.0)], [1.0]) == pytest.approx(np.finfo(float).eps, rel=1e-12)
