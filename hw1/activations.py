"""Element-wise activations by name: value, derivative and LaTeX symbol.

The derivative at a kink is the one PyTorch uses (ReLU'(0) = 0), so hand-written backprop
and autograd agree everywhere, including the non-differentiable point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    # stable for large |z|: never exponentiates a positive number
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_deriv(z: np.ndarray) -> np.ndarray:
    # sigma(z) sigma(-z), not sigma (1 - sigma): 1 - sigma(z) rounds to 0 for z > 37 (true ~e^-z)
    return sigmoid(z) * sigmoid(-z)


def _tanh_deriv(z: np.ndarray) -> np.ndarray:
    # sech^2 z = 4 e^{-2|z|} / (1 + e^{-2|z|})^2, not 1 - tanh^2: that rounds to 0 for |z| > 19
    e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / (1.0 + e) ** 2


def _scaled_relu(scale: float):
    def fn(z: np.ndarray) -> np.ndarray:
        out = np.maximum(z, 0.0)
        if scale != 1.0:
            out *= scale                     # scale * max(z, 0), one array allocated
        return out
    return fn


def _scaled_relu_backprop(scale: float):
    def backprop(z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
        np.multiply(upstream, z > 0, out=upstream)    # upstream * 1[z > 0] ...
        if scale != 1.0:
            upstream *= scale                         # ... * scale: upstream * f'(z)
        return upstream
    return backprop


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable[[np.ndarray], np.ndarray]      # value, element-wise
    deriv: Callable[[np.ndarray], np.ndarray]   # derivative, element-wise, at the same input
    latex: str                                  # how the document writes it
    kink: bool = False                          # True if not differentiable at 0
    # upstream * f'(z), allowed to overwrite upstream; for a cheaper fused form where one exists
    fused_backprop: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.fn(z)

    def backprop(self, z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
        """The chain rule through f: upstream * f'(z), element-wise (may reuse upstream)."""
        if self.fused_backprop is not None:
            return self.fused_backprop(z, upstream)
        return np.multiply(upstream, self.deriv(z), out=upstream)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda z: z, np.ones_like, r"\operatorname{id}"),
        Activation("relu", _scaled_relu(1.0), lambda z: (z > 0).astype(z.dtype),
                   r"(\cdot)^{+}", kink=True, fused_backprop=_scaled_relu_backprop(1.0)),
        # the homework's f = 5 ReLU
        Activation("5relu", _scaled_relu(5.0), lambda z: 5.0 * (z > 0).astype(z.dtype),
                   r"5(\cdot)^{+}", kink=True, fused_backprop=_scaled_relu_backprop(5.0)),
        Activation("tanh", np.tanh, _tanh_deriv, r"\tanh"),
        Activation("sigmoid", sigmoid, _sigmoid_deriv, r"\sigma"),
    ]
}


def get(name: str, *, argument: str = "activation") -> Activation:
    from hw1._validate import choice

    return ACTIVATIONS[choice(argument, name, ACTIVATIONS)]
