"""Losses for one data point; a batch takes the mean over its points.

- ``mse``: the homework's  l(y_hat, y) = ||y_hat - y||^2   (no 1/2, no 1/K).
- ``bce``: l = (1/K) sum_k -[y_k log y_hat_k + (1 - y_k) log(1 - y_hat_k)], for g = sigmoid.
  It is evaluated from the logits z3 (y_hat = sigmoid(z3)) as (1/K) sum_k softplus(z3_k) - y_k z3_k,
  which never takes the log of 0, and its gradient w.r.t. z3 is the stable (y_hat - y)/K.
  Its gradient w.r.t. y_hat, (y_hat - y) / (K y_hat (1 - y_hat)), is also evaluated from z3:
  y_hat rounds to 1 for z3 > 37, and 1 - y_hat to 0, where the true value is ~e^z3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Loss:
    name: str
    latex: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]   # (z3, y_hat, y) -> (B,)
    grad_yhat: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]   # (z3, y_hat, y) -> dl/dy_hat
    needs_g: str | None = None                                          # required output activation

    def grad_z3(self, z3, y_hat, y, g) -> np.ndarray:
        """dl/dz3 per point: the chain rule through g, fused where that is more stable."""
        if self.name == "bce":
            return (y_hat - y) / y.shape[-1]
        return self.grad_yhat(z3, y_hat, y) * g.deriv(z3)


def _mse_value(z3, y_hat, y):
    return np.sum((y_hat - y) ** 2, axis=-1)


def _bce_value(z3, y_hat, y):
    return np.mean(np.logaddexp(0.0, z3) - y * z3, axis=-1)


def _bce_grad_yhat(z3, y_hat, y):
    """(y_hat - y) / (K y_hat (1 - y_hat)) with y_hat = sigma(z), from z = z3: since
    1 / (y_hat (1 - y_hat)) = (1 + e^z)(1 + e^-z) and y_hat - y = sigma(z) - y, it is
        ((1 - y)(1 + e^z) - 1)(1 + e^-z)   for z >= 0,
        (1 - y (1 + e^-z))(1 + e^z)         for z < 0,
    which exponentiate only |z| (an inf only where the true value exceeds 1.8e308; a weight 1 - y
    or y of 0 gives 0, not 0 * inf) and cancel only where y_hat ~ y, as the value itself does."""
    a = np.abs(z3)
    with np.errstate(over="ignore"):
        big = 1.0 + np.exp(a)
    weight = np.where(z3 >= 0, 1.0 - y, y)                   # the weight of the large factor
    with np.errstate(invalid="ignore"):                      # 0 * inf, replaced by 0
        large = np.where(weight == 0, 0.0, weight * big)
    core = np.where(z3 >= 0, large - 1.0, 1.0 - large)
    return core * (1.0 + np.exp(-a)) / y.shape[-1]


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", r"\lVert\hat{\mathbf{y}}-\mathbf{y}\rVert^{2}", _mse_value,
                lambda z3, y_hat, y: 2.0 * (y_hat - y)),
    "bce": Loss("bce", r"-\frac{1}{K}\sum_k y_k\log\hat{y}_k+(1-y_k)\log(1-\hat{y}_k)",
                _bce_value, _bce_grad_yhat, needs_g="sigmoid"),
}


def get(name: str, g_name: str) -> Loss:
    from hw1._validate import choice

    loss = LOSSES[choice("loss", name, LOSSES)]
    if loss.needs_g is not None and g_name != loss.needs_g:
        raise ValueError(
            f"loss {name!r} needs g={loss.needs_g!r} (its output must be a probability), got g={g_name!r}"
        )
    return loss
