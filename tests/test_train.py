"""Tests for hw1.train: the numpy SGD step against torch.optim.SGD (<= 1e-14 relative), train_sgd
against gradient descent written by hand from hw1's backward pass (<= 1e-12 relative), the
loss going down, and the input checks of train_sgd and
sgd_step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hw1
from hw1.gradcheck import rel_err
from hw1.net import PARAM_NAMES, TwoLayerNet
from hw1.train import TrainResult, sgd_step, train_sgd

# (f, g, loss) -> a rate small enough for every full-batch step to lower the loss on batch(0, ...)
STABLE_LR = {("5relu", "identity", "mse"): 0.01, ("relu", "sigmoid", "mse"): 0.2,
             ("tanh", "identity", "mse"): 0.1, ("sigmoid", "sigmoid", "bce"): 0.5,
             ("5relu", "sigmoid", "bce"): 0.2}
CONFIGS = list(STABLE_LR)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One torch thread for these tiny problems (no result changes; see test_net.py)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def batch(seed: int, f: str, g: str, loss: str, n: int = 4, d: int = 6, K: int = 2, B: int = 16):
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(n, d, K, f, g, seed=seed)
    x = rng.normal(size=(B, n))
    y = rng.uniform(0.0, 1.0, (B, K)) if loss == "bce" else rng.normal(size=(B, K))
    return net, x, y


def assert_params_close(got: dict, want: dict, rtol: float, atol: float) -> None:
    assert set(got) == set(want) == set(PARAM_NAMES)
    for k in PARAM_NAMES:
        assert np.shape(got[k]) == np.shape(want[k]), k
        assert rel_err(got[k], want[k]) <= rtol, f"{k}: {rel_err(got[k], want[k]):.2e}"
        torch.testing.assert_close(torch.as_tensor(got[k]), torch.as_tensor(want[k]), rtol=rtol, atol=atol)


# -- sgd_step against torch.optim.SGD --------------------------------------------------------------
@pytest.mark.parametrize("foreach", [None, False, True])
def test_sgd_step_equals_torch_sgd(foreach):
    for seed in range(10):
        net, x, y = batch(seed, "tanh", "identity", "mse", n=3 + seed % 4)
        grads = net.backward(net.forward(x), y)
        for lr in (1e-3, 0.05, 0.7, 3.0):
            theta = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
            optimizer = torch.optim.SGD(theta.values(), lr=lr, foreach=foreach)
            for k, t in theta.items():
                t.grad = torch.tensor(grads[k])
            optimizer.step()
            want = {k: t.detach().numpy() for k, t in theta.items()}
            # normwise <= 1e-14; elementwise, an entry where theta and lr * grad cancel may be
            # off by an ulp of theta (torch may fuse the multiply-add), hence atol 1e-15
            assert_params_close(sgd_step(net.params, grads, lr), want, rtol=1e-14, atol=1e-15)


def test_reference_sgd_update_is_torch_optim_sgd_step():
    """The claims' reference calls torch.optim.sgd.sgd directly (no torch._dynamo import); it
    must move the parameters exactly as torch.optim.SGD.step does."""
    from hw1 import reference

    for seed in range(5):
        net, x, y = batch(seed, "5relu", "identity", "mse")
        grads = net.backward(net.forward(x), y)
        for lr in (1e-3, 0.3):
            by_class = reference.as_tensors(net.params, requires_grad=True)
            by_function = reference.as_tensors(net.params, requires_grad=True)
            for theta in (by_class, by_function):
                for k, t in theta.items():
                    t.grad = torch.tensor(grads[k])
            torch.optim.SGD(by_class.values(), lr=lr).step()
            reference.sgd_update(by_function, lr)
            for k in PARAM_NAMES:
                assert torch.equal(by_function[k], by_class[k]), k
                assert not torch.equal(by_function[k], torch.as_tensor(net.params[k])), k   # it moved


def test_sgd_step_is_theta_minus_lr_grad_and_copies():
    params = {"a": np.array([1.0, -2.0]), "b": np.array([[0.5]])}
    grads = {"a": np.array([0.25, 1.0]), "b": np.array([[-4.0]])}
    saved = {k: v.copy() for k, v in (params | {"ga": grads["a"]}).items()}
    new = sgd_step(params, grads, 2.0)
    np.testing.assert_array_equal(new["a"], [0.5, -4.0])
    np.testing.assert_array_equal(new["b"], [[8.5]])
    assert np.array_equal(params["a"], saved["a"]) and np.array_equal(grads["a"], saved["ga"])
    assert new["a"] is not params["a"]
    assert sgd_step({"w": 1.0}, {"w": 0.5}, np.float32(0.5))["w"] == pytest.approx(0.75, rel=1e-15)
    assert hw1.sgd_step is sgd_step


# -- train_sgd ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=["-".join(c) for c in CONFIGS])
def test_first_step_is_params_minus_lr_times_hw1_gradients(f, g, loss):
    for seed in range(3):
        net, x, y = batch(seed, f, g, loss)
        lr = 0.05 * (1 + seed)
        result = train_sgd(net.params, x, y, f=f, g=g, loss=loss, lr=lr, steps=1)
        cache = net.forward(x)
        grads = net.backward(cache, y, loss)
        by_hand = {k: net.params[k] - lr * grads[k] for k in PARAM_NAMES}
        assert_params_close(result.params, by_hand, rtol=1e-12, atol=1e-14)
        assert result.losses.shape == (1,)
        assert result.losses[0] == pytest.approx(net.loss(cache, y, loss), rel=1e-12)


@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=["-".join(c) for c in CONFIGS])
def test_train_sgd_is_gradient_descent_with_hw1_backward(f, g, loss):
    """Ten steps of torch SGD equal ten steps of hw1.backward + hw1.sgd_step."""
    net, x, y = batch(7, f, g, loss)
    lr, steps = 0.1, 10
    result = train_sgd(net.params, x, y, f=f, g=g, loss=loss, lr=lr, steps=steps)
    params, history = net.params, []
    for _ in range(steps):
        hand = TwoLayerNet.from_params(params, f, g)
        cache = hand.forward(x)
        history.append(hand.loss(cache, y, loss))
        params = sgd_step(params, hand.backward(cache, y, loss), lr)
    assert_params_close(result.params, params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.losses, history, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("f", "g", "loss"), CONFIGS, ids=["-".join(c) for c in CONFIGS])
def test_train_sgd_decreases_the_loss(f, g, loss):
    net, x, y = batch(0, f, g, loss)
    result = train_sgd(net.params, x, y, f=f, g=g, loss=loss, lr=STABLE_LR[f, g, loss], steps=60)
    assert isinstance(result, TrainResult)
    assert result.losses.shape == (60,) and np.all(np.isfinite(result.losses))
    assert np.all(np.diff(result.losses) < 0), "full-batch steps this small must each lower the loss"
    final = TwoLayerNet.from_params(result.params, f, g)
    assert final.loss(final.forward(x), y, loss) < result.losses[-1]    # after the last step
    assert result.losses[-1] < 0.95 * result.losses[0]


def test_train_sgd_leaves_its_inputs_alone():
    net, x, y = batch(3, "5relu", "identity", "mse")
    saved = {k: v.copy() for k, v in net.params.items()}
    x0, y0 = x.copy(), y.copy()
    result = train_sgd(net.params, x, y, steps=3)
    assert all(np.array_equal(net.params[k], saved[k]) for k in PARAM_NAMES)
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    assert not np.array_equal(result.params["W1"], saved["W1"])
    assert all(v.dtype == np.float64 and v.shape == saved[k].shape for k, v in result.params.items())


# -- input checks ------------------------------------------------------------------------------------
@pytest.fixture
def problem():
    net, x, y = batch(0, "5relu", "identity", "mse", n=3, d=4, K=2, B=5)
    return net.params, x, y


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": 0}, r"lr must be a positive finite number, got 0 \(int\)"),
    ({"lr": -0.1}, r"lr must be a positive finite number, got -0\.1 \(float\)"),
    ({"lr": float("nan")}, r"lr must be a positive finite number, got nan"),
    ({"lr": np.inf}, r"lr must be a positive finite number, got inf"),
    ({"lr": True}, r"lr must be a positive finite number, got True \(bool\)"),
    ({"lr": "0.1"}, r"lr must be a positive finite number, got '0\.1' \(str\)"),
    ({"lr": 10**400}, r"lr must be a positive finite number"),
    ({"steps": 0}, r"steps must be a positive integer, got 0 \(int\)"),
    ({"steps": -3}, r"steps must be a positive integer, got -3"),
    ({"steps": 2.0}, r"steps must be a positive integer, got 2\.0 \(float\)"),
    ({"f": "gelu"}, r"unknown f 'gelu'; expected one of"),
    ({"g": "softmax"}, r"unknown g 'softmax'; expected one of"),
    ({"loss": "hinge"}, r"unknown loss 'hinge'; expected one of mse, bce"),
    ({"loss": "bce"}, r"loss 'bce' needs g='sigmoid'.*got g='identity'"),
])
def test_train_sgd_rejects_bad_settings(problem, kwargs, match):
    params, x, y = problem
    with pytest.raises(ValueError, match=match):
        train_sgd(params, x, y, **{"steps": 1, **kwargs})


def test_train_sgd_rejects_bad_data(problem):
    params, x, y = problem
    with pytest.raises(ValueError, match=r"x has shape \(3,\), expected a batch of shape \(B, 3\)"):
        train_sgd(params, x[0], y[0], steps=1)
    with pytest.raises(ValueError, match=r"x has shape \(5, 4\), expected a batch of shape \(B, 3\)"):
        train_sgd(params, np.ones((5, 4)), y, steps=1)
    with pytest.raises(ValueError, match=r"y has shape \(4, 2\), expected \(5, 2\)"):
        train_sgd(params, x, y[:4], steps=1)
    with pytest.raises(ValueError, match=r"y has shape \(5, 3\), expected \(5, 2\)"):
        train_sgd(params, x, np.ones((5, 3)), steps=1)
    with pytest.raises(ValueError, match=r"x has 1 non-finite value\(s\)"):
        train_sgd(params, np.where(np.arange(15).reshape(5, 3) == 4, np.nan, x), y, steps=1)
    with pytest.raises(ValueError, match=r"params must be a dict with keys \['W1', 'b1', 'W2', 'b2'\], "
                                         r"got \['W1'\]"):
        train_sgd({"W1": params["W1"]}, x, y, steps=1)
    with pytest.raises(ValueError, match=r"params\['b1'\] has shape \(3,\), expected \(4,\)"):
        train_sgd({**params, "b1": np.ones(3)}, x, y, steps=1)
    sig = TwoLayerNet(3, 4, 2, "relu", "sigmoid", seed=0).params
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\] for the bce loss, "
                                         r"got values in \[0\.0, 2\.0\]"):
        train_sgd(sig, x, np.array([[0.0, 2.0]] * 5), g="sigmoid", loss="bce", steps=1)


def test_train_sgd_accepts_numpy_and_int_learning_rates(problem):
    params, x, y = problem
    a = train_sgd(params, x, y, lr=np.float32(0.5), steps=2)
    b = train_sgd(params, x, y, lr=float(np.float32(0.5)), steps=2)
    assert np.array_equal(a.losses, b.losses)
    assert np.array_equal(train_sgd(params, x, y, lr=1, steps=1).losses,
                          train_sgd(params, x, y, lr=1.0, steps=1).losses)


def test_sgd_step_rejects_bad_input(problem):
    params, x, y = problem
    net = TwoLayerNet.from_params(params)
    grads = net.backward(net.forward(x), y)
    with pytest.raises(ValueError, match=r"grads must be a dict with the keys of params "
                                         r"\['W1', 'W2', 'b1', 'b2'\], got \['W1', 'W2', 'b1'\]"):
        sgd_step(params, {k: v for k, v in grads.items() if k != "b2"}, 0.1)
    with pytest.raises(ValueError, match=r"grads must be a dict with .*, got a list of length 4"):
        sgd_step(params, list(grads.values()), 0.1)
    with pytest.raises(ValueError, match=r"params must be a non-empty dict of arrays, got a list of len"):
        sgd_step([params["W1"]], grads, 0.1)
    with pytest.raises(ValueError, match=r"params must be a non-empty dict of arrays, got \{\} \(dict\)"):
        sgd_step({}, {}, 0.1)
    # (1, d) would broadcast against (d,) into a wrong-shaped parameter
    with pytest.raises(ValueError, match=r"grads\['b1'\] has shape \(1, 4\), expected \(4,\), the shape of "
                                         r"params\['b1'\]"):
        sgd_step(params, {**grads, "b1": grads["b1"][None]}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['W2'\] has shape \(\), expected \(2, 4\)"):
        sgd_step(params, {**grads, "W2": 1.0}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['b2'\] has 1 non-finite value\(s\)"):
        sgd_step(params, {**grads, "b2": np.array([np.nan, 0.0])}, 0.1)
    W1 = params["W1"].copy()
    W1[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"params\['W1'\] has 1 non-finite value\(s\)"):
        sgd_step({**params, "W1": W1}, grads, 0.1)
    with pytest.raises(ValueError, match=r"grads\['W1'\] must be numeric"):
        sgd_step(params, {**grads, "W1": "dW1"}, 0.1)
    for lr, shown in [(0.0, r"0\.0 \(float\)"), (-1, r"-1 \(int\)"), (np.nan, "nan"),
                      (None, r"None \(NoneType\)")]:
        with pytest.raises(ValueError, match=rf"lr must be a positive finite number, got {shown}"):
            sgd_step(params, grads, lr)
