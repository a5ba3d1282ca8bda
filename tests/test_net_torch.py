"""hw1.TwoLayerNet and hw1.jacobians take torch tensors -- float32 or float64, requiring grad or
not, parameters as nn.Parameter -- and return numpy: the same numbers as for the numpy arrays of
the same values (exactly: the tensor's values are read, then the numpy code runs).  Anything
else from torch is a ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hw1.net import PARAM_NAMES, TwoLayerNet, jacobians


def as_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


@pytest.fixture
def problem():
    net = TwoLayerNet(3, 4, 2, "relu", "sigmoid", seed=0)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, generator=gen, dtype=torch.float32, requires_grad=True)
    y = torch.rand(5, 2, generator=gen, dtype=torch.float64)
    return net, x, y


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_forward_backward_loss_take_tensors(problem, loss):
    net, x, y = problem
    cache = net.forward(x)
    want = net.forward(as_numpy(x))
    for name in ("x", "z1", "z2", "z3", "y_hat"):
        got = getattr(cache, name)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
        np.testing.assert_array_equal(got, getattr(want, name))
    grads = net.backward(cache, y, loss)
    want_grads = net.backward(want, as_numpy(y), loss)
    for k in PARAM_NAMES:
        assert isinstance(grads[k], np.ndarray)
        np.testing.assert_array_equal(grads[k], want_grads[k])
    assert net.loss(cache, y, loss) == net.loss(want, as_numpy(y), loss)
    assert x.grad is None and x.requires_grad     # the tensor is read, not touched


def test_from_params_takes_parameters_and_copies_them():
    layer1, layer2 = torch.nn.Linear(3, 4).double(), torch.nn.Linear(4, 2)    # float64 and float32
    params = {"W1": layer1.weight, "b1": layer1.bias, "W2": layer2.weight, "b2": layer2.bias}
    net = TwoLayerNet.from_params(params, "tanh", "identity")
    assert (net.n, net.d, net.K) == (3, 4, 2)
    for k in PARAM_NAMES:
        assert isinstance(net.params[k], np.ndarray) and net.params[k].dtype == np.float64
        np.testing.assert_array_equal(net.params[k], as_numpy(params[k]))
    with torch.no_grad():
        layer1.weight.zero_()
        layer1.bias.zero_()
    assert np.all(net.params["W1"] != 0) and np.all(net.params["b1"] != 0), "the net keeps its own copy"


def test_cache_does_not_share_the_tensors_memory():
    net = TwoLayerNet(3, 4, 2, seed=0)
    x = torch.ones(2, 3, dtype=torch.float64)
    cache = net.forward(x)
    x.zero_()
    np.testing.assert_array_equal(cache.x, np.ones((2, 3)))


def test_jacobians_take_tensors(problem):
    net, x, y = problem
    got = jacobians(net, x[0], y[0], "bce")
    want = jacobians(net, as_numpy(x[0]), as_numpy(y[0]), "bce")
    for k in ("dz2_dz1", "dyhat_dz3", "dl_dyhat"):
        assert isinstance(got[k], np.ndarray)
        np.testing.assert_array_equal(got[k], want[k])


@pytest.mark.parametrize(("x", "match"), [
    (torch.float32, r"x must be numeric, expected \(3,\) or \(B, 3\); got torch\.float32 \(dtype\)"),
    (torch.nn.Linear(3, 2), r"x must be numeric, expected \(3,\) or \(B, 3\); got Linear\(in_features=3"),
    (torch.zeros(2, 3, device="meta"),
     r"x must be numeric, expected \(3,\) or \(B, 3\); got a torch tensor of shape \(2, 3\), dtype "
     r"torch\.float32 on meta, which cannot be read as numbers \(NotImplementedError"),
    (torch.ones(2, 4), r"x has shape \(2, 4\), expected \(3,\) or \(B, 3\)"),
    (torch.tensor([1.0, float("nan"), 0.0]), r"x has 1 non-finite value\(s\)"),
    (torch.ones(0, 3), r"x is empty \(shape \(0, 3\)\)"),
])
def test_other_torch_objects_are_rejected_clearly(x, match):
    net = TwoLayerNet(3, 4, 2, seed=0)
    with pytest.raises(ValueError, match=match):
        net.forward(x)


def test_bad_tensor_targets_and_params_name_the_argument():
    net = TwoLayerNet(3, 4, 2, seed=0)
    cache = net.forward(torch.ones(5, 3))
    with pytest.raises(ValueError, match=r"y has shape \(5, 3\), expected \(5, 2\), the shape of y_hat"):
        net.backward(cache, torch.ones(5, 3))
    params = {k: torch.from_numpy(v) for k, v in net.params.items()}
    with pytest.raises(ValueError, match=r"params\['b2'\] has shape \(3,\), expected \(2,\)"):
        TwoLayerNet.from_params({**params, "b2": torch.ones(3)})
