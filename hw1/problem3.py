"""Problem 3: gradient checks of hw1's hand-written backprop, as results in their own right.

- ``gradient_table``: for every configuration (f, g, loss), the largest relative error of each
  gradient against torch autograd and against central finite differences, over seeded trials.
- ``eps_sweep``: the finite-difference error against the step eps, which is V-shaped:
  truncation error ~ eps^2 on the right, rounding error ~ machine epsilon / eps on the left.
"""

from __future__ import annotations

import numpy as np

from hw1._validate import positive_int
from hw1.gradcheck import FD_EPS, RTOL_AUTOGRAD, RTOL_FD, draw_problem, rel_err, verify_gradients
from hw1.net import PARAM_NAMES, TwoLayerNet

ACTIVATIONS_F = ("5relu", "relu", "tanh", "sigmoid")
OUTPUTS = (("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"))
CONFIGS = tuple((f, g, loss) for f in ACTIVATIONS_F for g, loss in OUTPUTS)


def hand_written(f: str, g: str, loss: str):
    """hw1's backprop as a candidate for ``verify_gradients``."""
    def candidate(params, x, y):
        net = TwoLayerNet.from_params(params, f, g)
        return net.backward(net.forward(x), y, loss)
    return candidate


def gradient_table(*, seeds: int = 20, n: int = 4, d: int = 5, K: int = 3, batch: int = 8) -> dict:
    """Every configuration checked on ``seeds`` seeded problems; JSON-ready."""
    seeds = positive_int("seeds", seeds, at_most=10**4, limit="10**4")
    rows = []
    for f, g, loss in CONFIGS:
        report = verify_gradients(hand_written(f, g, loss), f=f, g=g, loss=loss, n=n, d=d, K=K,
                                  batch=batch, seeds=range(seeds))
        rows.append({
            "f": f, "g": g, "loss": loss, "ok": bool(report),
            "autograd": {r.name: r.err_autograd for r in report.rows},
            "fd": {r.name: r.err_fd for r in report.rows},
            "rejected_near_kink": report.rejected_near_kink,
            "problems": report.problems,
        })
    return {"seeds": seeds, "n": n, "d": d, "K": K, "batch": batch, "fd_eps": FD_EPS,
            "rtol_autograd": RTOL_AUTOGRAD, "rtol_fd": RTOL_FD, "rows": rows}


def eps_sweep(*, f: str = "tanh", g: str = "identity", loss: str = "mse", seed: int = 0,
              n: int = 4, d: int = 5, K: int = 3, batch: int = 8, points: int = 45) -> dict:
    """Finite-difference error (max over parameters, vs autograd) for eps in 1e-12 .. 1e-1."""
    from hw1 import reference

    points = positive_int("points", points, at_most=10**4, limit="10**4")
    params, x, y, _ = draw_problem(seed, f, g, loss, n, d, K, batch)
    with reference.single_thread():
        return _sweep(params, x, y, f, g, loss, seed, points)


def _sweep(params, x, y, f, g, loss, seed, points) -> dict:
    from hw1 import reference

    auto = reference.autograd_gradients(params, x, y, f, g, loss)
    eps = np.logspace(-12, -1, points)
    errors = []
    for e in eps:
        fd = reference.finite_difference_gradients(params, x, y, f, g, loss, eps=float(e))
        errors.append(max(rel_err(fd[k], auto[k]) for k in PARAM_NAMES))
    best = int(np.argmin(errors))
    chosen = float(FD_EPS)
    chosen_err = max(rel_err(v, auto[k]) for k, v in
                     reference.finite_difference_gradients(params, x, y, f, g, loss, eps=chosen).items())
    return {"f": f, "g": g, "loss": loss, "seed": seed, "eps": eps.tolist(), "errors": errors,
            "best_eps": float(eps[best]), "best_error": float(errors[best]),
            "chosen_eps": chosen, "chosen_error": float(chosen_err)}


def table_data(ctx) -> dict:
    return gradient_table(**ctx.params)


def eps_data(ctx) -> dict:
    return eps_sweep(**ctx.params)
