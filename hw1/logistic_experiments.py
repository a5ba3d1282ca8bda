"""Problem 2's experiments, on top of ``hw1.logistic``: the data behind the figures and the
numbers the text quotes, and the acceptance numbers ``invoke check`` prints.  numpy, scipy and
numba only (no torch, no sympy), so these run beside the symbolic work."""

from __future__ import annotations

import numpy as np

from hw1 import logistic
from hw1._validate import positive_int


def rays() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, X, y, direction): a separable set along its max-margin direction, and a
    non-separable one along the direction of its minimiser."""
    Xs, ys = logistic.separable_data(seed=1)
    Xn, yn = logistic.nonseparable_data(seed=1)
    w_star = logistic.minimizer(Xn, yn)
    return [("separable", Xs, ys, logistic.max_margin(Xs, ys)),
            ("non-separable", Xn, yn, w_star / np.linalg.norm(w_star))]


def ray_data(ctx=None, *, points: int = 400) -> dict:
    """L(c w) and dL/dc on a grid of c, for the separable and the non-separable dataset."""
    points = positive_int("points", points, at_most=logistic.MAX_POINTS, limit="10**7")
    out = {}
    for name, X, y, w in rays():
        c_max = 8.0 if name == "separable" else 3.0 * float(np.linalg.norm(logistic.minimizer(X, y)))
        c = np.linspace(0.0, c_max, points)
        out[name] = {"c": c.tolist(), "loss": logistic.loss_along_ray(c, w, X, y).tolist(),
                     "dloss": logistic.dloss_dc(c, w, X, y).tolist(), "n": len(y),
                     "min_margin": float(np.min(logistic.margins(w, X, y))),
                     "X": X.tolist(), "y": y.tolist(), "w": w.tolist()}
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
            "X": X.tolist(), "y": y.tolist(), "w_final": r.W[-1].tolist(),
            "support": logistic.FIGURE1_SUPPORT.tolist(), "monotone_from": logistic.MONOTONE_FROM}


def ray(ctx) -> dict:
    return ray_data(**ctx.params)


def implicit_bias(ctx) -> dict:
    return implicit_bias_data(**ctx.params)
