"""Tests for hw1.net: the forward pass, the loss and the hand-written backward pass of
Linear1 -> f -> Linear2 -> g against torch autograd (hw1.reference, and a torch model written
here independently of it), single points against batches, the Jacobians of part 4 against
torch.autograd.functional.jacobian, and the input checks of every public entry point.

Tolerances (float64): gradients and Jacobians agree with autograd to a normwise relative error
(hw1.gradcheck.rel_err) <= 1e-12 and elementwise to rtol 1e-12, atol 1e-14."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tnf

import hw1
from hw1 import reference
from hw1.gradcheck import rel_err
from hw1.net import PARAM_NAMES, Cache, TwoLayerNet, jacobians

RTOL, ATOL = 1e-12, 1e-14
SEEDS = range(20)
FS = ("5relu", "relu", "tanh", "sigmoid")
# every (f, g, loss) of the homework: mse with g = identity or sigmoid, bce with g = sigmoid
CONFIGS = [(f, g, "mse") for f in FS for g in ("identity", "sigmoid")] + [(f, "sigmoid", "bce") for f in FS]
CONFIG_IDS = ["-".join(c) for c in CONFIGS]

# the activations once more, from torch's own functions, not from hw1.reference
TORCH_ACT = {
    "identity": lambda t: t,
    "relu": tnf.relu,
    "5relu": lambda t: 5.0 * tnf.relu(t),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")   # see conftest.py


def problem(seed: int, f: str, g: str, loss: str):
    """A seeded problem (net, x, y) whose sizes vary with the seed; y in [0, 1] for bce."""
    rng = np.random.default_rng(1000 + seed)
    n, d, K, batch = 2 + seed % 5, 3 + seed % 4, 1 + seed % 3, 1 + seed % 7
    net = TwoLayerNet(n, d, K, f, g, seed=seed)
    x = rng.normal(scale=2.0, size=(batch, n))
    y = rng.uniform(0.0, 1.0, (batch, K)) if loss == "bce" else rng.normal(size=(batch, K))
    return net, x, y


def independent_torch_loss(theta: dict, x, y, f: str, g: str, loss: str) -> torch.Tensor:
    """The batch-mean loss written with torch.nn.functional, independently of hw1.reference:
    mse = per-point ||y_hat - y||^2 (no 1/2, no 1/K) averaged over the batch; bce = the mean
    over points and outputs of the cross-entropy of the probabilities y_hat."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    z2 = TORCH_ACT[f](tnf.linear(x, theta["W1"], theta["b1"]))
    y_hat = TORCH_ACT[g](tnf.linear(z2, theta["W2"], theta["b2"]))
    if loss == "mse":
        return tnf.mse_loss(y_hat, y, reduction="sum") / x.shape[0]
    return tnf.binary_cross_entropy(y_hat, y)


def independent_autograd(params: dict, x, y, f: str, g: str, loss: str) -> dict[str, np.ndarray]:
    theta = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    independent_torch_loss(theta, x, y, f, g, loss).backward()
    return {k: t.grad.numpy() for k, t in theta.items()}


def assert_grads_close(got: dict, want: dict, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Normwise relative error <= rtol per parameter, and elementwise assert_close."""
    assert set(got) == set(PARAM_NAMES)
    for k in PARAM_NAMES:
        assert np.shape(got[k]) == np.shape(want[k]), k
        err = rel_err(got[k], want[k])
        assert err <= rtol, f"{k}: normwise relative error {err:.2e} > {rtol:.0e}"
        torch.testing.assert_close(torch.as_tensor(np.asarray(got[k])), torch.as_tensor(np.asarray(want[k])),
                                   rtol=rtol, atol=atol, msg=lambda m, k=k: f"{k}: {m}")


def hw1_grads(net: TwoLayerNet, x, y, loss: str) -> dict[str, np.ndarray]:
    return net.backward(net.forward(x), y, loss)


# -- forward and loss values ----------------------------------------------------------------------
@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=CONFIG_IDS)
def test_forward_and_loss_match_torch(f, g, loss):
    for seed in range(5):
        net, x, y = problem(seed, f, g, loss)
        cache = net.forward(x)
        theta = reference.as_tensors(net.params)
        want = reference.layers(theta, torch.from_numpy(x), f, g)
        for name in ("z1", "z2", "z3", "y_hat"):
            got = torch.from_numpy(getattr(cache, name))
            torch.testing.assert_close(got, want[name], rtol=RTOL, atol=ATOL)
        assert cache.x.shape == x.shape
        with torch.no_grad():
            want_loss = independent_torch_loss(theta, x, y, f, g, loss).item()
        got_loss = net.loss(cache, y, loss)
        assert isinstance(got_loss, float)
        assert abs(got_loss - want_loss) <= RTOL * abs(want_loss)


def test_mse_is_the_homeworks_loss():
    """l(y_hat, y) = ||y_hat - y||^2 for one point (no 1/2, no 1/K), the mean over a batch."""
    net = TwoLayerNet(3, 4, 2, "tanh", "identity", seed=1)
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    y = np.array([[1.0, -2.0], [0.0, 3.0]])
    # each side from the same cache: one point's forward pass (a BLAS matrix-vector product) and
    # the batch's (matrix-matrix, another kernel) may differ in the last bits on another CPU
    single = net.forward(x[0])
    assert net.loss(single, y[0]) == np.sum((single.y_hat - y[0]) ** 2)
    cache = net.forward(x)
    per_point = np.sum((cache.y_hat - y) ** 2, axis=1)
    assert net.loss(cache, y) == pytest.approx(per_point.mean(), rel=1e-15)   # a mean of 2: one rounding


def test_bce_loss_is_stable_for_saturated_outputs():
    """bce is evaluated from the logits: finite and right even where sigmoid(z3) rounds to 0 or 1."""
    net = TwoLayerNet.from_params({"W1": np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)},
                                  "identity", "sigmoid")
    x, y = np.array([800.0, -800.0]), np.array([0.0, 1.0])
    cache = net.forward(x)
    assert cache.y_hat.tolist() == [1.0, 0.0]      # saturated in float64
    assert net.loss(cache, y, "bce") == pytest.approx(800.0, rel=1e-15)   # mean of 800 and 800
    grads = net.backward(cache, y, "bce")
    assert all(np.all(np.isfinite(v)) for v in grads.values())


def test_parameters_are_drawn_like_torch_linear():
    n, d, K = 50, 20, 3
    net = TwoLayerNet(n, d, K, seed=3)
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (d, n), "b1": (d,), "W2": (K, d), "b2": (K,)}
    assert all(v.dtype == np.float64 for v in net.params.values())
    assert np.max(np.abs(net.params["W1"])) <= 1 / np.sqrt(n)
    assert np.max(np.abs(net.params["W2"])) <= 1 / np.sqrt(d)
    assert np.array_equal(TwoLayerNet(n, d, K, seed=3).params["W1"], net.params["W1"])   # seeded
    assert not np.array_equal(TwoLayerNet(n, d, K, seed=4).params["W1"], net.params["W1"])


# -- backward against autograd -------------------------------------------------------------------
@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=CONFIG_IDS)
def test_backward_matches_autograd(f, g, loss):
    """>= 20 seeded problems per configuration, against hw1.reference and against the torch
    model written above: normwise rel. error <= 1e-12 and elementwise rtol 1e-12, atol 1e-14."""
    for seed in SEEDS:
        net, x, y = problem(seed, f, g, loss)
        got = hw1_grads(net, x, y, loss)
        assert_grads_close(got, reference.autograd_gradients(net.params, x, y, f, g, loss))
        assert_grads_close(got, independent_autograd(net.params, x, y, f, g, loss))


@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=CONFIG_IDS)
def test_single_point_and_batch_mean(f, g, loss):
    """x of shape (n,) gives the gradient of that point's loss; a batch gives the mean of them."""
    for seed in range(3):
        net, x, y = problem(seed, f, g, loss)
        x, y = np.vstack([x, x[::-1] + 0.5]), np.vstack([y, y[::-1]])     # at least 2 points
        per_point = []
        for xi, yi in zip(x, y, strict=True):
            grads = net.backward(net.forward(xi), yi, loss)
            assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in net.params.items()}
            want = reference.autograd_gradients(net.params, xi[None], yi[None], f, g, loss)
            assert_grads_close(grads, want)
            per_point.append(grads)
        batch = hw1_grads(net, x, y, loss)
        mean = {k: np.mean([p[k] for p in per_point], axis=0) for k in PARAM_NAMES}
        assert_grads_close(batch, mean)
        assert net.loss(net.forward(x), y, loss) == pytest.approx(
            np.mean([net.loss(net.forward(xi), yi, loss) for xi, yi in zip(x, y, strict=True)]), rel=RTOL)


@pytest.mark.parametrize("f", ["relu", "5relu"])
def test_relu_derivative_at_the_kink_is_torchs(f):
    """z1 = 0 exactly: hw1 takes ReLU'(0) = 0, as autograd does."""
    net = TwoLayerNet(3, 4, 2, f, "identity", seed=0)
    net.params["b1"][:] = 0.0
    x, y = np.zeros((2, 3)), np.ones((2, 2))
    assert np.all(net.forward(x).z1 == 0.0)
    got = hw1_grads(net, x, y, "mse")
    assert_grads_close(got, reference.autograd_gradients(net.params, x, y, f, "identity", "mse"))
    assert np.all(got["W1"] == 0.0) and np.all(got["b1"] == 0.0)
    assert np.any(got["b2"] != 0.0)


def test_backward_does_not_modify_its_inputs():
    net, x, y = problem(4, "tanh", "sigmoid", "mse")
    params = {k: v.copy() for k, v in net.params.items()}
    cache = net.forward(x)
    saved = {name: getattr(cache, name).copy() for name in ("x", "z1", "z2", "z3", "y_hat")}
    x0, y0 = x.copy(), y.copy()
    first = net.backward(cache, y)
    second = net.backward(cache, y)
    assert all(np.array_equal(first[k], second[k]) for k in PARAM_NAMES)
    assert all(np.array_equal(net.params[k], params[k]) for k in PARAM_NAMES)
    assert all(np.array_equal(getattr(cache, k), v) for k, v in saved.items())
    assert np.array_equal(x, x0) and np.array_equal(y, y0)


def test_from_params_copies_and_round_trips():
    net, x, y = problem(2, "relu", "identity", "mse")
    as_lists = {k: v.tolist() for k, v in net.params.items()}
    twin = TwoLayerNet.from_params(as_lists, "relu", "identity")
    assert (twin.n, twin.d, twin.K) == (net.n, net.d, net.K)
    assert_grads_close(hw1_grads(twin, x, y, "mse"), hw1_grads(net, x, y, "mse"), rtol=0.0, atol=0.0)
    source = {k: v.copy() for k, v in net.params.items()}
    copy = TwoLayerNet.from_params(source, "relu", "identity")
    source["W1"][0, 0] += 1.0
    assert copy.params["W1"][0, 0] == net.params["W1"][0, 0]


# -- the Jacobians of part 4 ---------------------------------------------------------------------
JACOBIAN_CONFIGS = [(f, g, "mse") for f in ("5relu", "relu", "tanh", "sigmoid", "identity")
                    for g in ("identity", "sigmoid", "tanh")] + [(f, "sigmoid", "bce") for f in FS]


def torch_point_loss(loss: str, y: torch.Tensor):
    if loss == "mse":
        return lambda y_hat: ((y_hat - y) ** 2).sum()
    return lambda y_hat: -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()


@pytest.mark.parametrize(("f", "g", "loss"), JACOBIAN_CONFIGS, ids=["-".join(c) for c in JACOBIAN_CONFIGS])
def test_jacobians_match_torch(f, g, loss):
    for seed in range(4):
        net, x, y = problem(seed, f, g, loss)
        x, y = x[0], y[0]
        got = jacobians(net, x, y, loss)
        assert set(got) == {"dz2_dz1", "dyhat_dz3", "dl_dyhat"}
        cache = net.forward(x)
        want = {
            "dz2_dz1": torch.autograd.functional.jacobian(TORCH_ACT[f], torch.from_numpy(cache.z1)),
            "dyhat_dz3": torch.autograd.functional.jacobian(TORCH_ACT[g], torch.from_numpy(cache.z3)),
            "dl_dyhat": torch.autograd.functional.jacobian(torch_point_loss(loss, torch.from_numpy(y)),
                                                           torch.from_numpy(cache.y_hat)).reshape(1, -1),
        }
        shapes = {"dz2_dz1": (net.d, net.d), "dyhat_dz3": (net.K, net.K), "dl_dyhat": (1, net.K)}
        for k, w in want.items():
            assert got[k].shape == shapes[k] == tuple(w.shape), k
            assert rel_err(got[k], w.numpy()) <= RTOL, k
            torch.testing.assert_close(torch.from_numpy(got[k]), w, rtol=RTOL, atol=ATOL)


def test_jacobians_are_the_documented_matrices():
    net = TwoLayerNet(2, 3, 2, "5relu", "identity", seed=0)
    net.params["W1"][:] = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    net.params["b1"][:] = [0.0, 0.0, -10.0]
    x, y = np.array([2.0, -3.0]), np.array([0.5, -0.5])
    jac = jacobians(net, x, y)
    np.testing.assert_array_equal(jac["dz2_dz1"], np.diag([5.0, 0.0, 0.0]))   # z1 = (2, -3, -11)
    np.testing.assert_array_equal(jac["dyhat_dz3"], np.eye(2))
    y_hat = net.forward(x).y_hat
    np.testing.assert_array_equal(jac["dl_dyhat"], 2.0 * (y_hat - y)[None, :])


# -- input checks ----------------------------------------------------------------------------------
@pytest.fixture
def net():
    return TwoLayerNet(3, 4, 2, "5relu", "identity", seed=0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n": 0}, r"n must be a positive integer, got 0"),
    ({"d": -2}, r"d must be a positive integer, got -2"),
    ({"K": 2.5}, r"K must be a positive integer, got 2\.5"),
    ({"n": True}, r"n must be a positive integer, got True"),
    ({"f": "elu"}, r"unknown f 'elu'; expected one of identity, relu, 5relu, tanh, sigmoid"),
    ({"g": "softmax"}, r"unknown g 'softmax'; expected one of"),
])
def test_constructor_rejects_bad_arguments(kwargs, match):
    args = {"n": 3, "d": 4, "K": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        TwoLayerNet(args.pop("n"), args.pop("d"), args.pop("K"), **args)


@pytest.mark.parametrize(("x", "match"), [
    (np.ones(4), r"x has shape \(4,\), expected \(3,\) or \(B, 3\)"),
    (np.ones((2, 4)), r"x has shape \(2, 4\), expected \(3,\) or \(B, 3\)"),
    (np.ones((2, 2, 3)), r"x has shape \(2, 2, 3\), expected"),
    (np.ones((0, 3)), r"x is empty \(shape \(0, 3\)\)"),
    ([1.0, np.nan, 2.0], r"x has 1 non-finite value\(s\) \(NaN or inf\); expected finite"),
    (np.full((2, 3), np.inf), r"x has 6 non-finite value\(s\)"),
    ("abc", r"x must be numeric, expected \(3,\) or \(B, 3\); got 'abc'"),
])
def test_forward_rejects_bad_x(net, x, match):
    with pytest.raises(ValueError, match=match):
        net.forward(x)


@pytest.mark.parametrize("method", ["backward", "loss"])
def test_backward_and_loss_reject_bad_targets(net, method):
    call = getattr(net, method)
    cache = net.forward(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"y has shape \(5, 3\), expected \(5, 2\), the shape of y_hat"):
        call(cache, np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"y has shape \(2,\), expected \(5, 2\)"):
        call(cache, np.ones(2))
    with pytest.raises(ValueError, match=r"y has 5 non-finite value\(s\)"):
        call(cache, np.array([[0.0, np.nan]] * 5))
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; expected one of mse, bce"):
        call(cache, np.ones((5, 2)), "hinge")
    with pytest.raises(ValueError, match=r"loss 'bce' needs g='sigmoid'.*got g='identity'"):
        call(cache, np.ones((5, 2)), "bce")
    with pytest.raises(ValueError, match=r"cache must be the Cache returned by forward\(\), got \{'x': 1\}"):
        call({"x": 1}, np.ones((5, 2)))


@pytest.mark.parametrize("method", ["backward", "loss"])
def test_bce_targets_must_be_probabilities(method):
    net = TwoLayerNet(3, 4, 2, "tanh", "sigmoid", seed=0)
    call = getattr(net, method)
    cache = net.forward(np.ones((2, 3)))
    match = r"y must lie in \[0, 1\] for the bce loss, got values in \[-0\.5, 1\.0\]"
    with pytest.raises(ValueError, match=match):
        call(cache, np.array([[-0.5, 1.0], [0.0, 0.5]]), "bce")
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\].*got values in \[0\.0, 1\.5\]"):
        call(cache, np.array([[0.0, 1.5], [0.0, 0.5]]), "bce")
    call(cache, np.array([[0.0, 1.0], [0.25, 0.5]]), "bce")    # the bounds themselves are fine


def test_backward_rejects_a_cache_from_another_network(net):
    other = TwoLayerNet(5, 4, 2, seed=0)
    with pytest.raises(ValueError, match=r"cache\.x has shape \(2, 5\), expected \(\.\.\., 3\)"):
        net.backward(other.forward(np.ones((2, 5))), np.ones((2, 2)))
    wider = TwoLayerNet(3, 6, 2, seed=0)
    with pytest.raises(ValueError, match=r"cache\.z1 has shape \(6,\), expected \(\.\.\., 4\)"):
        net.backward(wider.forward(np.ones(3)), np.ones(2))
    bogus = Cache(*(np.ones(3) for _ in range(5)))
    with pytest.raises(ValueError, match=r"cache\.z1 has shape \(3,\), expected \(\.\.\., 4\)"):
        net.loss(bogus, np.ones(3))


@pytest.mark.parametrize(("change", "match"), [
    (lambda p: {"W1": p["W1"]}, r"params must be a dict with keys \['W1', 'b1', 'W2', 'b2'\], got \['W1'\]"),
    (lambda p: {**p, "W3": 1.0}, r"params must be a dict with keys .*, got \['W1', 'W2', 'W3', 'b1', 'b2'\]"),
    (lambda p: {**p, 0: 1.0}, r"params must be a dict with keys .*, got \[0, 'W1'"),
    (lambda p: list(p.values()), r"params must be a dict with keys .*, got a list of length 4"),
    (lambda p: {**p, "W1": np.ones(3)}, r"params\['W1'\] has shape \(3,\), expected \(d, n\)"),
    (lambda p: {**p, "W2": np.ones((2, 3))},
     r"params\['W2'\] has shape \(2, 3\), expected \(K, d\) with d = 4"),
    (lambda p: {**p, "b1": np.ones(3)}, r"params\['b1'\] has shape \(3,\), expected \(4,\)"),
    (lambda p: {**p, "b2": np.ones((1, 2))}, r"params\['b2'\] has shape \(1, 2\), expected \(2,\)"),
    (lambda p: {**p, "b2": [np.inf, 0.0]}, r"params\['b2'\] has 1 non-finite value"),
    (lambda p: {**p, "W1": "w"}, r"params\['W1'\] must be numeric"),
])
def test_from_params_rejects_bad_params(net, change, match):
    with pytest.raises(ValueError, match=match):
        TwoLayerNet.from_params(change(net.params))


def test_from_params_rejects_unknown_activations(net):
    with pytest.raises(ValueError, match=r"unknown f 'swish'"):
        TwoLayerNet.from_params(net.params, f="swish")
    with pytest.raises(ValueError, match=r"unknown g 'exp'"):
        TwoLayerNet.from_params(net.params, g="exp")


def test_jacobians_reject_bad_input(net):
    with pytest.raises(ValueError, match=r"net must be a TwoLayerNet, got 'net' \(str\)"):
        jacobians("net", np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"x has shape \(1, 3\), expected one point of shape \(3,\)"):
        jacobians(net, np.ones((1, 3)), np.ones(2))
    with pytest.raises(ValueError, match=r"x has 1 non-finite value"):
        jacobians(net, np.array([0.0, np.nan, 1.0]), np.ones(2))
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(2,\), the shape of y_hat"):
        jacobians(net, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"unknown loss 'l1'"):
        jacobians(net, np.ones(3), np.ones(2), loss="l1")
    with pytest.raises(ValueError, match=r"loss 'bce' needs g='sigmoid'"):
        jacobians(net, np.ones(3), np.ones(2), loss="bce")
    sig = TwoLayerNet(3, 4, 2, "relu", "sigmoid", seed=0)
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\] for the bce loss"):
        jacobians(sig, np.ones(3), np.array([0.5, 2.0]), loss="bce")


def test_public_names_are_the_modules():
    assert hw1.TwoLayerNet is TwoLayerNet
    assert hw1.jacobians is jacobians
    assert hw1.Cache is Cache
    assert set(hw1.ACTIVATIONS) == {"identity", "relu", "5relu", "tanh", "sigmoid"}
    assert set(hw1.LOSSES) == {"mse", "bce"}
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hw1.nope  # noqa: B018
