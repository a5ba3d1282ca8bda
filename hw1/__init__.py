"""hw1 — a literate, verified homework build.

``import hw1`` is light: numpy, torch, sympy and matplotlib load on first use of the
name that needs them.  The public API::

    hw1.TwoLayerNet(n, d, K, f="5relu", g="identity", seed=0)   # hw1.net
    hw1.jacobians(net, x, y, loss="mse")                         # hw1.net
    hw1.verify_gradients(candidate, f=..., g=..., loss=...,      # hw1.gradcheck
                         tensors="numpy"|"torch", dtype=None|float32, reduction=None|"mean"|"sum")
    hw1.verify_mlp("mlp.py", f=..., g=..., loss=..., dtype=torch.float32, reduction="mean")  # hw1.mlpcheck
    hw1.train_sgd(params, x, y, ...), hw1.sgd_step(params, grads, lr)  # hw1.train
    hw1.ACTIVATIONS, hw1.LOSSES                                  # hw1.activations, hw1.losses
    hw1.logistic, hw1.claims                                     # submodules
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY = {
    "TwoLayerNet": "hw1.net",
    "Cache": "hw1.net",
    "jacobians": "hw1.net",
    "verify_gradients": "hw1.gradcheck",
    "GradientReport": "hw1.gradcheck",
    "verify_mlp": "hw1.mlpcheck",
    "train_sgd": "hw1.train",
    "sgd_step": "hw1.train",
    "TrainResult": "hw1.train",
    "ACTIVATIONS": "hw1.activations",
    "LOSSES": "hw1.losses",
}
_SUBMODULES = {"logistic", "claims", "symbolic", "net", "gradcheck", "mlpcheck", "train", "paths"}

__all__ = sorted([*_LAZY, *_SUBMODULES])


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"hw1.{name}")
    raise AttributeError(f"module 'hw1' has no attribute {name!r}")


def __dir__():
    return __all__
