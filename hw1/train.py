"""Training on one batch with PyTorch SGD, written as the five programming steps of the
canonical loop; and the same update written by hand in numpy (``sgd_step``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw1 import losses
from hw1._validate import describe, float_array, positive_float, positive_int
from hw1._validate import seed as _seed
from hw1.net import TwoLayerNet


@dataclass(frozen=True)
class TrainResult:
    losses: np.ndarray            # the loss before each step, one entry per step
    params: dict[str, np.ndarray]  # the parameters after the last step


def train_sgd(params: dict, x, y, *, f: str = "5relu", g: str = "identity",
              loss: str = "mse", lr: float = 0.01, steps: int = 100) -> TrainResult:
    """Train on the batch (x, y) for ``steps`` steps of torch.optim.SGD (rate lr)."""
    import torch

    from hw1 import reference

    net = TwoLayerNet.from_params(params, f, g)   # checks the shapes of params
    x, y = _batch(net, x, y, losses.get(loss, g))
    steps = positive_int("steps", steps)
    lr = positive_float("lr", lr)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    # set-up: leaf tensors whose gradients PyTorch tracks, and the optimizer
    theta = reference.as_tensors(net.params, requires_grad=True)
    optimizer = torch.optim.SGD(theta.values(), lr=lr)
    history = []
    for _ in range(steps):
        z3, y_hat = reference.forward(theta, x, f, g)    # (1) forward: y_hat = model(x)
        ell = reference.output_loss(z3, y_hat, y, loss)  # (2) loss: l(y_hat, y)
        optimizer.zero_grad()                            # (3) zero the gradients
        ell.backward()                                   # (4) backward: grad l
        optimizer.step()                                 # (5) step: theta -= lr * grad l
        history.append(ell.item())
    final = {k: t.detach().numpy().copy() for k, t in theta.items()}
    return TrainResult(np.array(history), final)


def _batch(net: TwoLayerNet, x, y, loss: losses.Loss) -> tuple[np.ndarray, np.ndarray]:
    x = float_array("x", x, shapes=[(None, net.n)], expected=f"a batch of shape (B, {net.n})")
    y = float_array("y", y, shapes=[(x.shape[0], net.K)], expected=f"({x.shape[0]}, {net.K})")
    if loss.name == "bce" and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"y must lie in [0, 1] for the bce loss, got values in [{y.min()}, {y.max()}]")
    return x, y


def sgd_step(params: dict, grads: dict, lr: float) -> dict[str, np.ndarray]:
    """One SGD step by hand: theta <- theta - lr * grad, for every parameter."""
    if not isinstance(params, dict) or not params:
        raise ValueError(f"params must be a non-empty dict of arrays, got {describe(params)}")
    keys = sorted(params, key=str)
    if not isinstance(grads, dict) or set(grads) != set(params):
        got = sorted(grads, key=str) if isinstance(grads, dict) else describe(grads)
        raise ValueError(f"grads must be a dict with the keys of params {keys}, got {got}")
    lr = positive_float("lr", lr)
    new = {}
    for k in params:
        theta = float_array(f"params[{k!r}]", params[k], shapes=None, expected="finite numbers")
        grad = float_array(f"grads[{k!r}]", grads[k], shapes=[theta.shape],
                           expected=f"{theta.shape}, the shape of params[{k!r}]")
        new[k] = theta - lr * grad
    return new


def training_run(*, n: int = 4, d: int = 16, K: int = 2, batch: int = 32, lr: float = 0.01,
                 steps: int = 200, seed: int = 0) -> dict:
    """Problem 1, part 1: SGD on one seeded synthetic batch (targets from a random 'teacher'
    network plus noise).  Returns the loss history, JSON-ready."""
    rng = np.random.default_rng(_seed(seed))
    batch = positive_int("batch", batch, at_most=10**7, limit="10**7")
    teacher = TwoLayerNet(n, d, K, "5relu", "identity", seed=seed + 1000)
    x = rng.normal(size=(batch, n))
    y = teacher.forward(x).y_hat + 0.1 * rng.normal(size=(batch, K))
    student = TwoLayerNet(n, d, K, "5relu", "identity", seed=seed)
    result = train_sgd(student.params, x, y, f="5relu", g="identity", loss="mse", lr=lr,
                       steps=steps)
    return {"n": n, "d": d, "K": K, "batch": batch, "lr": lr, "steps": steps, "seed": seed,
            "losses": result.losses.tolist()}


def training_data(ctx) -> dict:
    """Producer of the ``p1-training`` artifact (see hw1.document)."""
    return training_run(**ctx.params)
