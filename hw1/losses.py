"""Losses for one data point; a batch takes the mean over its points.

- ``mse``: the homework's  l(y_hat, y) = ||y_hat - y||^2   (no 1/2, no 1/K).
- ``bce``: l = (1/K) sum_k -[y_k log y_hat_k + (1 - y_k) log(1 - y_hat_k)], for g = sigmoid.
  It is evaluated from the logits z3 (y_hat = sigmoid(z3)) as (1/K) sum_k softplus(z3_k) - y_k z3_k,
  which never takes the log of 0, and its gradient w.r.t. z3 is the stable (y_hat - y)/K.
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
    grad_yhat: Callable[[np.ndarray, np.ndarray], np.ndarray]           # dl/dy_hat per point
    needs_g: str | None = None                                          # required output activation

    def grad_z3(self, z3, y_hat, y, g) -> np.ndarray:
        """dl/dz3 per point: the chain rule through g, fused where that is more stable."""
        if self.name == "bce":
            return (y_hat - y) / y.shape[-1]
        return self.grad_yhat(y_hat, y) * g.deriv(z3)


def _mse_value(z3, y_hat, y):
    return np.sum((y_hat - y) ** 2, axis=-1)


def _bce_value(z3, y_hat, y):
    return np.mean(np.logaddexp(0.0, z3) - y * z3, axis=-1)


def _bce_grad_yhat(y_hat, y):
    return (y_hat - y) / (y_hat * (1.0 - y_hat) * y.shape[-1])


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", r"\lVert\hat{\mathbf{y}}-\mathbf{y}\rVert^{2}", _mse_value,
                lambda y_hat, y: 2.0 * (y_hat - y)),
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
