"""The reference model in PyTorch (float64): the same network and losses as hw1.net, written
with torch operations so that autograd and finite differences can check the hand-written
gradients.  torch is imported here only; importing this module imports torch."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from hw1.net import PARAM_NAMES

_TORCH_ACTIVATIONS = {
    "identity": lambda t: t,
    "relu": torch.relu,
    "5relu": lambda t: 5.0 * torch.relu(t),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def as_tensors(params: dict, *, requires_grad: bool = False) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(np.asarray(params[k]), dtype=torch.float64, requires_grad=requires_grad)
            for k in PARAM_NAMES}


def activation(name: str):
    """The torch function of the activation ``name`` (see hw1.activations)."""
    return _TORCH_ACTIVATIONS[name]


def layers(theta: dict[str, torch.Tensor], x: torch.Tensor, f: str, g: str) -> dict[str, torch.Tensor]:
    """z1, z2, z3, y_hat for a batch x of shape (B, n)."""
    z1 = x @ theta["W1"].T + theta["b1"]
    z2 = _TORCH_ACTIVATIONS[f](z1)
    z3 = z2 @ theta["W2"].T + theta["b2"]
    return {"z1": z1, "z2": z2, "z3": z3, "y_hat": _TORCH_ACTIVATIONS[g](z3)}


def forward(theta: dict[str, torch.Tensor], x: torch.Tensor, f: str, g: str):
    """(z3, y_hat) for a batch x of shape (B, n)."""
    out = layers(theta, x, f, g)
    return out["z3"], out["y_hat"]


def output_loss(z3: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, loss: str,
                reduction: str | None = None) -> torch.Tensor:
    """The loss of a batch (see ``_reduce`` for ``reduction``): by default the batch mean of the
    per-point loss, ||y_hat - y||^2 (mse) or mean_k BCE (bce, from logits)."""
    if reduction is None and loss == "mse":
        return ((y_hat - y) ** 2).sum(dim=1).mean()
    if reduction is None:
        return torch.nn.functional.binary_cross_entropy_with_logits(z3, y)  # mean over B and K
    return _reduce(_entries(z3, y_hat, y, loss), loss, reduction)


def _entries(z3: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """The loss of every entry (point i, output k) before any reduction."""
    if loss == "mse":
        return (y_hat - y) ** 2
    return torch.nn.functional.binary_cross_entropy_with_logits(z3, y.expand_as(z3), reduction="none")


def _reduce(entries: torch.Tensor, loss: str, reduction: str | None) -> torch.Tensor:
    """Reduce the (..., B, K) entry losses over their last two axes (B and K):

    - ``None``, the homework's convention: mse sums over K and takes the mean over B
      (per point ||y_hat - y||^2); bce takes the mean over B and K (hw1.losses);
    - ``"mean"``: the mean over all B*K entries, as torch.nn.functional.mse_loss and
      binary_cross_entropy with reduction="mean" (their default);
    - ``"sum"``: the sum over all B*K entries, as their reduction="sum"."""
    if reduction == "sum":
        return entries.sum(dim=(-2, -1))
    if reduction is None and loss == "mse":
        return entries.sum(dim=-1).mean(dim=-1)
    return entries.mean(dim=(-2, -1))


def loss(theta: dict[str, torch.Tensor], x, y, f: str, g: str, loss: str,
         reduction: str | None = None) -> torch.Tensor:
    """The loss of the network with parameters theta on the batch (x, y); by default the
    batch mean (see ``_reduce``)."""
    x = torch.as_tensor(x, dtype=torch.float64).reshape(-1, theta["W1"].shape[1])
    y = torch.as_tensor(y, dtype=torch.float64).reshape(x.shape[0], -1)
    z3, y_hat = forward(theta, x, f, g)
    return output_loss(z3, y_hat, y, loss, reduction)


def autograd_gradients(params: dict, x, y, f: str, g: str, loss_name: str,
                       reduction: str | None = None) -> dict[str, np.ndarray]:
    theta = as_tensors(params, requires_grad=True)
    loss(theta, x, y, f, g, loss_name, reduction).backward()
    return {k: theta[k].grad.numpy() for k in PARAM_NAMES}


def _batched_loss(theta: dict[str, torch.Tensor], x, y, f: str, g: str, loss_name: str,
                  reduction: str | None = None) -> torch.Tensor:
    """The loss for M parameter sets at once: each tensor of ``theta`` has a leading axis of
    size M (or 1, shared).  Returns M losses."""
    x = torch.as_tensor(x, dtype=torch.float64)
    y = torch.as_tensor(y, dtype=torch.float64)
    W1, b1, W2, b2 = (theta[k] for k in PARAM_NAMES)
    z1 = x @ W1.transpose(-1, -2) + b1.unsqueeze(-2)                       # (M, B, d)
    z3 = _TORCH_ACTIVATIONS[f](z1) @ W2.transpose(-1, -2) + b2.unsqueeze(-2)   # (M, B, K)
    if reduction is not None:
        return _reduce(_entries(z3, _TORCH_ACTIVATIONS[g](z3), y, loss_name), loss_name, reduction)
    if loss_name == "mse":
        return ((_TORCH_ACTIVATIONS[g](z3) - y) ** 2).sum(dim=-1).mean(dim=-1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z3, y.expand_as(z3), reduction="none")
    return bce.mean(dim=(-2, -1))


def finite_difference_gradients(params: dict, x, y, f: str, g: str, loss_name: str,
                                eps: float, reduction: str | None = None) -> dict[str, np.ndarray]:
    """Central differences (l(p + eps e_i) - l(p - eps e_i)) / (2 eps) for every entry i of
    every parameter; all perturbed copies of one parameter are evaluated in one batched pass.
    ``reduction`` as in ``_reduce``."""
    theta = {k: v.unsqueeze(0) for k, v in as_tensors(params).items()}
    grads = {}
    with torch.no_grad():
        for k in PARAM_NAMES:
            base = theta[k][0]
            size = base.numel()
            steps = (eps * torch.eye(size, dtype=torch.float64)).reshape(size, *base.shape)
            values = _batched_loss({**theta, k: torch.cat([base + steps, base - steps])},
                                   x, y, f, g, loss_name, reduction)
            grads[k] = ((values[:size] - values[size:]) / (2 * eps)).reshape(base.shape).numpy()
    return grads


def sgd_update(theta: dict[str, torch.Tensor], lr: float) -> None:
    """One plain SGD step on tensors whose ``.grad`` is set, by the function that
    ``torch.optim.SGD.step`` calls (torch.optim.sgd.sgd), without momentum or weight decay.
    Called directly because constructing ``torch.optim.SGD`` imports torch._dynamo (about a
    second); ``tests/test_train.py`` checks that both give the same parameters."""
    from torch.optim.sgd import sgd

    tensors = list(theta.values())
    with torch.no_grad():
        sgd(tensors, [t.grad for t in tensors], [None] * len(tensors), weight_decay=0.0, momentum=0.0,
            lr=lr, dampening=0.0, nesterov=False, maximize=False)


@contextlib.contextmanager
def single_thread():
    """Run torch on one thread: the checks' problems are tiny, and a second OpenMP thread only
    waits for a busy core.  The previous setting is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
