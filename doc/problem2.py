"""Problem 2: the logistic loss on separable data has no minimiser.

The loss along a ray and its derivative are derived with sympy and checked on the rays that the
``ray`` experiment computes; ``implicit_bias`` runs gradient descent on Soudry et al.'s
Figure-1 data.  With m_i = y_i w_hat^T x_i the margin of point i along w_hat,

    L(c w_hat) = sum_i log(1 + exp(-c m_i)),   dL/dc = -sum_i m_i / (1 + exp(c m_i)).

The library code (losses, max-margin solvers, gradient descent) is ``hw1.logistic``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from hw1 import logistic
from hw1 import symbolic as s
from hw1.engine import check, claim, experiment, figure, value
from hw1.engine.claims import POINTS
from hw1.engine.notation import Notation

N = sp.Symbol("N", integer=True, positive=True)      # number of data points
m = s.indexed("m", "m")                               # margins along w_hat
i = sp.Symbol("i", integer=True, positive=True)
L_ray = s.scalar("L_ray", r"L(c\hat{\mathbf{w}})")
dL_dc = s.scalar("dL_dc", r"\frac{\partial L(c\hat{\mathbf{w}})}{\partial c}")

C_VALUES = (0.0, 0.5, 3.0, 20.0)                      # points along each ray


# -- the two rays ---------------------------------------------------------------------------------
@experiment(points=400)
def ray(points):
    """L(c w) and dL/dc on a grid of c: a separable set along its max-margin direction, and a
    non-separable one along the direction of its minimiser w*."""
    Xs, ys = logistic.separable_data(seed=1)
    Xn, yn = logistic.nonseparable_data(seed=1)
    w_star = logistic.minimizer(Xn, yn)
    c_star = float(np.linalg.norm(w_star))
    out = {}
    for name, X, y, w, c_max in (("separable", Xs, ys, logistic.max_margin(Xs, ys), 8.0),
                                 ("non-separable", Xn, yn, w_star / c_star, 3.0 * c_star)):
        c = np.linspace(0.0, c_max, points)
        out[name] = {"c": c, "loss": logistic.loss_along_ray(c, w, X, y),
                     "dloss": logistic.dloss_dc(c, w, X, y), "n": len(y),
                     "min_margin": float(np.min(logistic.margins(w, X, y))), "X": X, "y": y, "w": w}
    out["non-separable"]["c_star"] = c_star
    return out


def on_rays(ray):
    """The claims' points on both rays: the margins m along the ray and c, with torch autograd,
    hw1.logistic and (for the derivative) sympy's own unsimplified derivative as references."""
    import torch

    derived = s.lambdify([s.c, m, N], sp.diff(loss_ray(), s.c))
    out = []
    for name in ("separable", "non-separable"):
        X, y, w = (np.asarray(ray[name][k], dtype=np.float64) for k in ("X", "y", "w"))
        margins = logistic.margins(w, X, y)
        for c in C_VALUES[: POINTS // 2]:
            ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
            loss = torch.nn.functional.softplus(-ct * torch.from_numpy(margins)).sum()
            loss.backward()
            out.append({
                "c": c, "m": margins, "N": len(margins),
                "L_ray": {"torch": loss.item(), "hw1.logistic": logistic.loss_along_ray(c, w, X, y)},
                "dL_dc": {"torch autograd": ct.grad.item(), "hw1.logistic": logistic.dloss_dc(c, w, X, y),
                          "sympy diff": float(derived(c, margins, len(margins)))},
            })
    return out


@claim(lhs=L_ray, points=on_rays, against=lambda p: p["L_ray"])
def loss_ray():
    return sp.Sum(sp.log(1 + sp.exp(-s.c * m[i])), (i, 1, N))


@claim(lhs=dL_dc, points=on_rays, against=lambda p: p["dL_dc"])
def dloss_dc():
    """The derivative written as the proof reads it: a minus sign times a sum of positive
    terms (checked, among others, against sympy's own derivative of loss_ray)."""
    return sp.Mul(-1, sp.Sum(m[i] / (1 + sp.exp(s.c * m[i])), (i, 1, N)), evaluate=False)


@figure
def loss_plot(ray):
    """L(c w) against c: separable (decreases to 0) and not (interior minimum)."""
    from hw1.plotting import FONT_SIZE, TEXT_WIDTH, figure

    sep, non = ray["separable"], ray["non-separable"]
    fig, (left, right) = figure(width=TEXT_WIDTH, height=2.1, ncols=2, titles=True)
    left.semilogy(sep["c"], sep["loss"], color="C0")
    left.set_xlabel(r"$c$")
    left.set_ylabel(r"$L(c\,\hat{\mathbf{w}})$")
    left.set_title(f"separable ($N={sep['n']}$), along $\\hat{{\\mathbf{{w}}}}$")
    right.plot(non["c"], non["loss"], color="C1")
    right.axvline(non["c_star"], color="0.5", lw=0.8, ls="--")
    right.annotate(r"$c^\ast=\|\mathbf{w}^\ast\|$", (non["c_star"], max(non["loss"])),
                   xytext=(4, -2), textcoords="offset points", va="top", fontsize=FONT_SIZE - 1)
    right.set_xlabel(r"$c$")
    right.set_ylabel(r"$L(c\,\mathbf{u})$")
    right.set_title(f"non-separable ($N={non['n']}$), along $\\mathbf{{u}}$")
    for ax, d in ((left, sep), (right, non)):
        ax.set_xlim(0, d["c"][-1])
    return fig


@figure
def dloss_plot(ray):
    """dL/dc against c: negative throughout for separable data, tending to 0."""
    from hw1.plotting import TEXT_WIDTH, figure

    sep, non = ray["separable"], ray["non-separable"]
    fig, ax = figure(width=0.62 * TEXT_WIDTH, height=2.1)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.plot(sep["c"], sep["dloss"], color="C0", label=r"separable, along $\hat{\mathbf{w}}$")
    c, dloss = np.asarray(non["c"]), np.asarray(non["dloss"])
    keep = c <= sep["c"][-1]
    ax.plot(c[keep], dloss[keep], color="C1", ls="--", label=r"non-separable, along $\mathbf{u}$")
    ax.set_xlim(0, sep["c"][-1])
    ax.set_xlabel(r"$c$")
    ax.set_ylabel(r"$\partial L / \partial c$")
    ax.legend(frameon=False, loc="lower right")
    return fig


@value
def sep_n(ray):
    return ray["separable"]["n"]


@value
def sep_min_margin(ray):
    return ray["separable"]["min_margin"]


@value
def non_n(ray):
    return ray["non-separable"]["n"]


@value(decimals=3)
def c_star(ray):
    return ray["non-separable"]["c_star"]


# -- where gradient descent goes instead: Soudry et al. (2018), Figure 1 ---------------------------
@experiment(steps=10**6, seed=0)
def implicit_bias(steps, seed):
    """Gradient descent from w = 0 on the Figure-1 data, with the summary numbers the text
    quotes.  The fit of ||w_t|| against log t uses the last two decades of the run."""
    lo = steps // 100
    if lo < logistic.MONOTONE_FROM:
        raise ValueError(f"steps = {steps} is too few: the fit of ||w_t|| against log t uses "
                         f"t in [steps/100, steps], which must start at t >= {logistic.MONOTONE_FROM}; "
                         f"set steps >= {100 * logistic.MONOTONE_FROM} in @experiment of implicit_bias")
    X, y = logistic.soudry_figure1_data(seed=seed)
    r = logistic.implicit_bias(X, y, steps=steps, fit_window=(lo, steps))
    return {"steps": steps, "n": len(y), "lr": r.lr, "lr_bound": r.lr_bound,
            "sigma_max": float(np.linalg.norm(X, 2)),
            "w_hat": r.w_hat, "w_hat_norm": r.w_hat_norm,
            "t": r.t, "norms": r.norms, "angles": r.angles, "losses": r.losses,
            "fit_window": r.fit_window, "slope": r.slope, "intercept": r.intercept,
            "slope_rel_diff": r.slope_rel_diff, "final_angle": r.final_angle,
            "final_t_loss": r.final_t_loss, "predicted_t_loss": r.predicted_t_loss,
            "angle_monotone": r.angle_monotone_after_100,
            "X": X, "y": y, "w_final": r.W[-1], "support": logistic.FIGURE1_SUPPORT}


@figure
def implicit_bias_plot(implicit_bias):
    """Gradient descent on separable data: the norm, the direction and the loss of w_t."""
    from hw1.plotting import TEXT_WIDTH, figure

    d = implicit_bias
    t = np.asarray(d["t"], dtype=float)
    fig, (a, b, c) = figure(width=TEXT_WIDTH, height=2.0, ncols=3)
    a.semilogx(t, d["norms"], color="C0", label=r"$\|\mathbf{w}_t\|$")
    lo, hi = d["fit_window"]
    fit_t = np.logspace(np.log10(lo), np.log10(hi), 20)
    a.semilogx(fit_t, d["intercept"] + d["w_hat_norm"] * np.log(fit_t), color="k", ls=":",
               label=r"$\|\hat{\mathbf{w}}\|\log t + $ const")
    a.set_xlabel(r"$t$")
    a.set_ylabel(r"$\|\mathbf{w}_t\|$")
    a.legend(frameon=False, loc="lower right")
    b.loglog(t[1:], d["angles"][1:], color="C2")
    b.set_xlabel(r"$t$")
    b.set_ylabel(r"angle$(\mathbf{w}_t, \hat{\mathbf{w}})$ [rad]")
    c.loglog(t[1:], d["losses"][1:], color="C3", label=r"$L(\mathbf{w}_t)$")
    c.loglog(t[1:], d["predicted_t_loss"] / t[1:], color="k", ls=":",
             label=r"$\|\hat{\mathbf{w}}\|^2/(\eta t)$")
    c.set_xlabel(r"$t$")
    c.set_ylabel(r"$L(\mathbf{w}_t)$")
    c.legend(frameon=False, loc="lower left")
    return fig


@value
def figure1_n(implicit_bias):
    return implicit_bias["n"]


@value
def support_a(implicit_bias):
    return "(%g, %g)" % tuple(implicit_bias["support"][0])


@value
def support_b(implicit_bias):
    return "(%g, %g)" % tuple(implicit_bias["support"][1])


@value
def monotone_from():
    return logistic.MONOTONE_FROM


@value(digits=1, sci=True)
def gd_steps(implicit_bias):
    return implicit_bias["steps"]


@value(decimals=3)
def sigma_max(implicit_bias):
    return implicit_bias["sigma_max"]


@value(decimals=4)
def gd_lr(implicit_bias):
    return implicit_bias["lr"]


@value(decimals=4)
def gd_lr_bound(implicit_bias):
    return implicit_bias["lr_bound"]


@value
def w_hat(implicit_bias):
    return ", ".join(f"{v:.4g}" for v in implicit_bias["w_hat"])


@value(decimals=6)
def w_hat_norm(implicit_bias):
    return implicit_bias["w_hat_norm"]


@value(decimals=6)
def slope(implicit_bias):
    return implicit_bias["slope"]


@value(digits=2, sci=True)
def slope_rel_diff(implicit_bias):
    return abs(implicit_bias["slope_rel_diff"])


@value(digits=1, sci=True)
def fit_from(implicit_bias):
    return implicit_bias["fit_window"][0]


@value(digits=1, sci=True)
def fit_to(implicit_bias):
    return implicit_bias["fit_window"][1]


@value(digits=2, sci=True)
def final_angle(implicit_bias):
    return implicit_bias["final_angle"]


@value(decimals=4)
def t_loss(implicit_bias):
    return implicit_bias["final_t_loss"]


@value(decimals=4)
def t_loss_limit(implicit_bias):
    return implicit_bias["predicted_t_loss"]


@value
def angle_monotone(implicit_bias):
    if implicit_bias["angle_monotone"]:
        return "decreases at every checkpoint"
    return "does not decrease monotonically"


# -- what `invoke check` confirms of the run the PDF shows ---------------------------------------------
@check(tol=1e-2, method="least squares of ||w_t|| on log t, fit window")
def slope_matches_w_hat_norm(implicit_bias):
    """Theorem 3: ||w_t|| grows like ||w_hat|| log t."""
    return abs(implicit_bias["slope_rel_diff"])


@check(method=f"angle(w_t, w_hat) decreasing from t = {logistic.MONOTONE_FROM}")
def angle_decreases(implicit_bias):
    return implicit_bias["angle_monotone"]


@check(tol=1e-2, method="relative gap of t L(w_t) to ||w_hat||^2/lr, last step")
def t_loss_tends_to_limit(implicit_bias):
    return abs(implicit_bias["final_t_loss"] / implicit_bias["predicted_t_loss"] - 1)


@check(tol=1e-8, method="primal (SLSQP+KKT) vs dual (NNLS)")
def max_margin_primal_dual(implicit_bias):
    X, y = np.array(implicit_bias["X"]), np.array(implicit_bias["y"])
    primal, dual = logistic.max_margin(X, y), logistic.max_margin_dual(X, y)
    return float(np.max(np.abs(primal - dual)) / np.max(np.abs(dual)))


@check(tol=1e-9, method="numba loop vs plain numpy loop, 2000 steps")
def gradient_descent_numba(implicit_bias):
    X, y, lr = np.array(implicit_bias["X"]), np.array(implicit_bias["y"]), implicit_bias["lr"]
    _, W_fast = logistic.gradient_descent(X, y, steps=2000, lr=lr, checkpoints=[10, 100, 2000])
    _, W_slow = logistic._gradient_descent_numpy(X, y, steps=2000, lr=lr, checkpoints=[10, 100, 2000])
    return float(np.max(np.abs(W_fast - W_slow)) / np.max(np.abs(W_slow)))


# The notation problem2.tex is read with: its typed displays are checked at seeded points
# (hw1.engine.typed), the margins drawn positive as on separable data.
NOTATION = Notation()
_N = NOTATION.size("N", 6)
NOTATION.scalar("c", domain="positive")
NOTATION.vector("m", size=_N, domain="positive")
NOTATION.define(r"L(c\hat{\mathbf{w}})", r"\sum_{i=1}^{N} \log\bigl(1 + e^{-c m_i}\bigr)")
