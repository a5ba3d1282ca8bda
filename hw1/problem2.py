"""Problem 2: the logistic loss on separable data has no minimiser.

The loss along a ray and its derivative are derived with sympy and registered as claims; the
data behind the figures (loss along rays, gradient descent and its implicit bias) are computed
by ``hw1.logistic``.  With m_i = y_i w_hat^T x_i the margin of point i along w_hat,

    L(c w_hat) = sum_i log(1 + exp(-c m_i)),   dL/dc = -sum_i m_i / (1 + exp(c m_i)).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from hw1 import logistic
from hw1 import symbolic as s
from hw1.claims import POINTS, Claim

N = sp.Symbol("N", integer=True, positive=True)     # number of data points
m = sp.IndexedBase("m")                              # margins along w_hat
L_ray, dL_dc = sp.Symbol("L_ray"), sp.Symbol("dL_dc")
i = sp.Symbol("i", integer=True, positive=True)

LOSS_RAY = sp.Sum(sp.log(1 + sp.exp(-s.c * m[i])), (i, 1, N))
DERIVED = sp.diff(LOSS_RAY, s.c)                      # sympy's derivative, as it comes
# the same, written as the proof reads it: a minus sign times a sum of positive terms
DLOSS_DC = sp.Mul(-1, sp.Sum(m[i] / (1 + sp.exp(s.c * m[i])), (i, 1, N)), evaluate=False)

C_VALUES = (0.0, 0.5, 3.0, 20.0)                     # points along each ray


def _rays() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, X, y, direction): a separable set along its max-margin direction, and a
    non-separable one along the direction of its minimiser."""
    Xs, ys = logistic.separable_data(seed=1)
    Xn, yn = logistic.nonseparable_data(seed=1)
    w_star = logistic.minimizer(Xn, yn)
    return [("separable", Xs, ys, logistic.max_margin(Xs, ys)),
            ("non-separable", Xn, yn, w_star / np.linalg.norm(w_star))]


@cache
def points() -> tuple[dict, ...]:
    """Seeded points (dataset, direction, c) with torch autograd and hw1.logistic as
    references, and sympy's own unsimplified derivative as a third."""
    import torch

    derived = s.lambdify([s.c, m, N], DERIVED)
    out = []
    for _, X, y, w in _rays():
        margins = logistic.margins(w, X, y)
        for c in C_VALUES[: POINTS // 2]:
            ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
            mt = torch.from_numpy(margins)
            loss = torch.nn.functional.softplus(-ct * mt).sum()
            loss.backward()
            out.append({
                "c": c, "m": margins, "N": len(margins),
                "L_ray": {"torch": loss.item(), "hw1.logistic": logistic.loss_along_ray(c, w, X, y)},
                "dL_dc": {"torch autograd": ct.grad.item(),
                          "hw1.logistic": logistic.dloss_dc(c, w, X, y),
                          "sympy diff": float(derived(c, margins, len(margins)))},
            })
    return tuple(out)


@cache
def claims() -> list[Claim]:
    return [
        Claim("p2.loss_ray", L_ray, LOSS_RAY, points=points, reference=lambda p: p["L_ray"]),
        Claim("p2.dloss_dc", dL_dc, DLOSS_DC, points=points, reference=lambda p: p["dL_dc"]),
    ]


def draft_claims() -> list[Claim]:
    return []   # the draft's derivative is right; its argument is what Problem 2 repairs


# -- data for the figures and the text --------------------------------------------------------
def ray_data(ctx=None, *, points: int = 400) -> dict:
    """L(c w) and dL/dc on a grid of c, for the separable and the non-separable dataset."""
    out = {}
    for name, X, y, w in _rays():
        c_max = 8.0 if name == "separable" else 3.0 * float(np.linalg.norm(logistic.minimizer(X, y)))
        c = np.linspace(0.0, c_max, points)
        out[name] = {"c": c.tolist(), "loss": logistic.loss_along_ray(c, w, X, y).tolist(),
                     "dloss": logistic.dloss_dc(c, w, X, y).tolist(), "n": len(y),
                     "min_margin": float(np.min(logistic.margins(w, X, y)))}
    Xn, yn = logistic.nonseparable_data(seed=1)
    out["non-separable"]["c_star"] = float(np.linalg.norm(logistic.minimizer(Xn, yn)))
    return out


def implicit_bias_data(ctx=None, *, steps: int = 10**6, seed: int = 0) -> dict:
    """Gradient descent on the Figure-1 data of Soudry et al., with its summary numbers."""
    X, y = logistic.soudry_figure1_data(seed=seed)
    r = logistic.implicit_bias(X, y, steps=steps)
    return {"steps": steps, "n": len(y), "lr": r.lr, "lr_bound": r.lr_bound,
            "sigma_max": float(np.linalg.norm(X, 2)),
            "w_hat": r.w_hat.tolist(), "w_hat_norm": r.w_hat_norm,
            "t": r.t.tolist(), "norms": r.norms.tolist(), "angles": r.angles.tolist(),
            "losses": r.losses.tolist(), "fit_window": list(r.fit_window),
            "slope": r.slope, "intercept": r.intercept, "slope_rel_diff": r.slope_rel_diff,
            "final_angle": r.final_angle, "final_t_loss": r.final_t_loss,
            "predicted_t_loss": r.predicted_t_loss, "angle_monotone_after_100": r.angle_monotone_after_100,
            "X": X.tolist(), "y": y.tolist(), "w_final": r.W[-1].tolist()}


def ray(ctx) -> dict:
    return ray_data(**ctx.params)


def implicit_bias(ctx) -> dict:
    return implicit_bias_data(**ctx.params)


def check_rows():
    """The acceptance numbers of Problem 2, computed afresh for ``invoke check``."""
    from hw1.check import Row

    d = implicit_bias_data()
    yield Row("p2 slope of ||w_t|| vs log t", "least squares on t in [1e4, 1e6]",
              abs(d["slope_rel_diff"]), "<= 1e-02", abs(d["slope_rel_diff"]) <= 1e-2)
    yield Row("p2 angle(w_t, w_hat) decreasing, t >= 100", f"final angle {d['final_angle']:.2e} rad",
              d["final_angle"], "monotone", bool(d["angle_monotone_after_100"]))
    yield Row("p2 t * L(w_t) at the last step", f"limit ||w_hat||^2/lr = {d['predicted_t_loss']:.4f}",
              abs(d["final_t_loss"] / d["predicted_t_loss"] - 1), "<= 1e-02",
              abs(d["final_t_loss"] / d["predicted_t_loss"] - 1) <= 1e-2)
    X, y = np.array(d["X"]), np.array(d["y"])
    primal, dual = logistic.max_margin(X, y), logistic.max_margin_dual(X, y)
    err = float(np.max(np.abs(primal - dual)) / np.max(np.abs(dual)))
    yield Row("p2 max-margin direction", "primal (SLSQP+KKT) vs dual (NNLS)", err, "<= 1e-08", err <= 1e-8)
    t_fast, W_fast = logistic.gradient_descent(X, y, steps=2000, lr=d["lr"], checkpoints=[10, 100, 2000])
    _, W_slow = logistic._gradient_descent_numpy(X, y, steps=2000, lr=d["lr"], checkpoints=[10, 100, 2000])
    err = float(np.max(np.abs(W_fast - W_slow)) / np.max(np.abs(W_slow)))
    yield Row("p2 gradient descent (numba)", "vs plain numpy loop, 2000 steps", err, "<= 1e-09", err <= 1e-9)
