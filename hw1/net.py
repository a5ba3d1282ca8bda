"""The homework's two-layer network, Linear1 -> f -> Linear2 -> g, with hand-written backprop.

Names follow the document: z1 = W1 x + b1 (Linear1), z2 = f(z1), z3 = W2 z2 + b2 (Linear2),
y_hat = g(z3).  Gradients are written dW1, db1, dW2, db2 and have the shapes of W1, b1, W2, b2.

Loss convention: for one point l = ||y_hat - y||^2 (the homework's MSE, no 1/2, no 1/K); for a
batch, the mean over its points of the per-point loss.  Batches are rows: x has shape (B, n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hw1 import activations, losses
from hw1._validate import describe, float_array, positive_int
from hw1._validate import seed as _seed

PARAM_NAMES = ("W1", "b1", "W2", "b2")
MAX_PARAMS = 2**31   # 16 GiB of float64: far beyond the networks this module is for


@dataclass(frozen=True)
class Cache:
    """What the forward pass saw and made: the inputs and outputs of every layer.

    Shapes follow the input: x of shape (n,) gives z1 (d,), ..., y_hat (K,);
    x of shape (B, n) gives one row per point."""

    x: np.ndarray
    z1: np.ndarray      # output of Linear1
    z2: np.ndarray      # output of f
    z3: np.ndarray      # output of Linear2
    y_hat: np.ndarray   # output of g


def _rows(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1, a.shape[-1])


class TwoLayerNet:
    """Linear1 -> f -> Linear2 -> g with W1 (d, n), b1 (d,), W2 (K, d), b2 (K,), float64.

    Parameters are drawn like ``torch.nn.Linear``'s default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    from ``numpy.random.default_rng(seed)``.  Inputs (x, y, params) may be numpy arrays, lists or
    torch tensors (read detached, on the CPU, as float64); results are numpy arrays."""

    def __init__(self, n: int, d: int, K: int, f: str = "5relu", g: str = "identity", *,
                 seed: int = 0):
        self.n, self.d, self.K = (positive_int(k, v) for k, v in (("n", n), ("d", d), ("K", K)))
        count = self.d * (self.n + 1) + self.K * (self.d + 1)      # Python ints: no overflow
        if count > MAX_PARAMS:
            raise ValueError(f"TwoLayerNet(n={self.n}, d={self.d}, K={self.K}) would have {count} "
                             f"parameters, more than {MAX_PARAMS} ({MAX_PARAMS * 8 // 2**30} GiB of float64)")
        self.f = activations.get(f, argument="f")
        self.g = activations.get(g, argument="g")
        rng = np.random.default_rng(_seed(seed))
        s1, s2 = 1.0 / np.sqrt(float(self.n)), 1.0 / np.sqrt(float(self.d))
        self.params = {
            "W1": rng.uniform(-s1, s1, (self.d, self.n)),
            "b1": rng.uniform(-s1, s1, self.d),
            "W2": rng.uniform(-s2, s2, (self.K, self.d)),
            "b2": rng.uniform(-s2, s2, self.K),
        }

    @classmethod
    def from_params(cls, params: dict, f: str = "5relu", g: str = "identity") -> TwoLayerNet:
        """A network with the given parameters (copied to float64, shapes checked)."""
        if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
            got = sorted(params, key=str) if isinstance(params, dict) else describe(params)
            raise ValueError(f"params must be a dict with keys {list(PARAM_NAMES)}, got {got}")
        W1 = float_array("params['W1']", params["W1"], shapes=[(None, None)], expected="(d, n)")
        W2 = float_array("params['W2']", params["W2"], shapes=[(None, W1.shape[0])],
                         expected=f"(K, d) with d = {W1.shape[0]}")
        net = cls(W1.shape[1], W1.shape[0], W2.shape[0], f, g)
        net.params = {
            "W1": W1.copy(),
            "b1": float_array("params['b1']", params["b1"], shapes=[(net.d,)], expected=f"({net.d},)").copy(),
            "W2": W2.copy(),
            "b2": float_array("params['b2']", params["b2"], shapes=[(net.K,)], expected=f"({net.K},)").copy(),
        }
        return net

    def __repr__(self) -> str:
        return f"TwoLayerNet(n={self.n}, d={self.d}, K={self.K}, f={self.f.name!r}, g={self.g.name!r})"

    # -- forward ---------------------------------------------------------------------------
    def forward(self, x) -> Cache:
        """Forward pass for one point x of shape (n,) or a batch of shape (B, n)."""
        x_in = x
        x = float_array("x", x, shapes=[(self.n,), (None, self.n)],
                        expected=f"({self.n},) or (B, {self.n})")
        if isinstance(x_in, np.ndarray) and np.may_share_memory(x, x_in):
            x = x.copy()                 # the cache keeps its own x: the caller may change theirs
        p = self.params
        z1 = x @ p["W1"].T               # Linear1: z1 = W1 x + b1 ...
        z1 += p["b1"]                    #          (bias added in place)
        z2 = self.f(z1)                  # f:       z2 = f(z1)
        z3 = z2 @ p["W2"].T              # Linear2: z3 = W2 z2 + b2 ...
        z3 += p["b2"]                    #          (bias added in place)
        y_hat = self.g(z3)               # g:       y_hat = g(z3)
        return Cache(x, z1, z2, z3, y_hat)

    def _targets(self, cache: Cache, y, loss: losses.Loss) -> np.ndarray:
        if not isinstance(cache, Cache):
            raise ValueError(f"cache must be the Cache returned by forward(), got {describe(cache)}")
        widths = {"x": self.n, "z1": self.d, "z2": self.d, "z3": self.K, "y_hat": self.K}
        for name, width in widths.items():
            shape = np.shape(getattr(cache, name))
            if not shape or shape[-1] != width:
                raise ValueError(f"cache.{name} has shape {shape}, expected (..., {width}): "
                                 f"the cache must come from this network's forward()")
        shape = cache.y_hat.shape
        y = float_array("y", y, shapes=[shape], expected=f"{shape}, the shape of y_hat")
        if loss.name == "bce" and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"y must lie in [0, 1] for the bce loss, got values in [{y.min()}, {y.max()}]")
        return y

    def loss(self, cache: Cache, y, loss: str = "mse") -> float:
        """The loss of the forward pass in ``cache``: per point, or the batch mean."""
        lo = losses.get(loss, self.g.name)
        y = self._targets(cache, y, lo)
        return float(np.mean(lo.value(cache.z3, cache.y_hat, y)))

    # -- backward --------------------------------------------------------------------------
    def backward(self, cache: Cache, y, loss: str = "mse") -> dict[str, np.ndarray]:
        """Gradients of the loss (batch mean) w.r.t. W1, b1, W2, b2, by hand — no autograd."""
        lo = losses.get(loss, self.g.name)
        y = _rows(self._targets(cache, y, lo))
        x, z1, z2, z3, y_hat = (_rows(a) for a in (cache.x, cache.z1, cache.z2, cache.z3, cache.y_hat))
        W2 = self.params["W2"]
        B = x.shape[0]
        dz3 = lo.grad_z3(z3, y_hat, y, self.g) / B   # dl/dz3 = dl/dy_hat . dy_hat/dz3 (mean over B)
        dW2 = dz3.T @ z2                              # dl/dW2 = (dl/dz3)^T z2^T, summed over points
        db2 = dz3.sum(axis=0)                         # dl/db2 = (dl/dz3)^T, since dz3/db2 = I
        dz2 = dz3 @ W2                                # dl/dz2 = dl/dz3 . W2
        dz1 = self.f.backprop(z1, dz2)                # dl/dz1 = dl/dz2 . dz2/dz1 (diagonal)
        dW1 = dz1.T @ x                               # dl/dW1 = (dl/dz1)^T x^T
        db1 = dz1.sum(axis=0)                         # dl/db1 = (dl/dz1)^T, since dz1/db1 = I
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def jacobians(net: TwoLayerNet, x, y, loss: str = "mse") -> dict[str, np.ndarray]:
    """The three Jacobians of the homework's part 4, for one point, as explicit matrices
    (numerator layout: row i holds the derivatives of output i):

    - ``dz2_dz1`` (d, d): diagonal, f'(z1) on the diagonal;
    - ``dyhat_dz3`` (K, K): diagonal, g'(z3) on the diagonal;
    - ``dl_dyhat`` (1, K): the row vector of dl/dy_hat_k (2 (y_hat - y)^T for MSE)."""
    if not isinstance(net, TwoLayerNet):
        raise ValueError(f"net must be a TwoLayerNet, got {describe(net)}")
    x = float_array("x", x, shapes=[(net.n,)], expected=f"one point of shape ({net.n},)")
    lo = losses.get(loss, net.g.name)
    cache = net.forward(x)
    y = net._targets(cache, y, lo)
    return {
        "dz2_dz1": np.diag(net.f.deriv(cache.z1)),
        "dyhat_dz3": np.diag(net.g.deriv(cache.z3)),
        "dl_dyhat": lo.grad_yhat(cache.z3, cache.y_hat, y)[None, :],
    }
