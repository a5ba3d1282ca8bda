"""The plot layer: draw figures from computed data (never compute here).

Every figure is drawn at the size it is shown (the document includes it unscaled), with the
document's fonts: Computer Modern through matplotlib's mathtext "cm" and its cmr10 text font.
PDFs are saved without a creation date, so two builds give the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# fontTools complains, harmlessly, about the old timestamps inside matplotlib's cmr10 font
logging.getLogger("fontTools").setLevel(logging.ERROR)

TEXT_WIDTH = 6.5      # inches: doc/preamble.tex sets 1in margins on letter paper
FONT_SIZE = 9         # points, as \small in an 11pt document is 10pt; captions are 10pt

STYLE = {
    "font.family": "serif",
    "font.serif": ["cmr10"],
    "mathtext.fontset": "cm",
    "axes.formatter.use_mathtext": True,   # cmr10 has no minus sign: mathtext draws it
    "axes.unicode_minus": True,
    "font.size": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE - 1,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.2,
    "pdf.fonttype": 42,
    "svg.hashsalt": "hw1",
}

# fixed margins in inches (constrained layout would cost a second of a clean build)
MARGINS = {"left": 0.62, "right": 0.12, "bottom": 0.42, "top": 0.12, "title": 0.18, "gap": 0.62}


def figure(width: float = 0.8 * TEXT_WIDTH, height: float = 2.2, ncols: int = 1, *,
           titles: bool = False):
    """A figure of exactly width x height inches with ``ncols`` panels side by side."""
    plt.rcParams.update(STYLE)
    fig, axes = plt.subplots(1, ncols, figsize=(width, height))
    m = MARGINS
    top = m["top"] + (m["title"] if titles else 0.0)
    panel = (width - m["left"] - m["right"] - (ncols - 1) * m["gap"]) / ncols
    fig.subplots_adjust(left=m["left"] / width, right=1 - m["right"] / width,
                        bottom=m["bottom"] / height, top=1 - top / height, wspace=m["gap"] / panel)
    return fig, axes


def save(fig, path: Path) -> None:
    """Save as PDF with no date or creator that would change from build to build."""
    fig.savefig(path, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})
    plt.close(fig)


def training_loss(ctx) -> None:
    """Problem 1, part 1: the batch loss over SGD iterations (data: hw1.train.training_run)."""
    data = ctx.data("p1-training")
    losses = data["losses"]
    fig, ax = figure(height=2.0)
    ax.semilogy(range(len(losses)), losses, color="C0")
    ax.set_xlabel("SGD iteration $t$")
    ax.set_ylabel(r"batch loss $\ell(\boldsymbol{\theta}_t)$")
    ax.set_xlim(0, len(losses) - 1)
    save(fig, ctx.out("figures/p1-training-loss.pdf"))


def loss_along_ray(ctx) -> None:
    """Problem 2: L(c w) against c, separable (decreases to 0) and not (interior minimum)."""
    data = ctx.data("p2-ray")
    sep, non = data["separable"], data["non-separable"]
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
    save(fig, ctx.out("figures/p2-loss-ray.pdf"))


def dloss_dc(ctx) -> None:
    """Problem 2: dL/dc against c: negative throughout for separable data, tending to 0."""
    data = ctx.data("p2-ray")
    sep, non = data["separable"], data["non-separable"]
    fig, ax = figure(width=0.62 * TEXT_WIDTH, height=2.1)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.plot(sep["c"], sep["dloss"], color="C0", label=r"separable, along $\hat{\mathbf{w}}$")
    mask = [c <= sep["c"][-1] for c in non["c"]]
    ax.plot([c for c, k in zip(non["c"], mask, strict=True) if k],
            [v for v, k in zip(non["dloss"], mask, strict=True) if k], color="C1", ls="--",
            label=r"non-separable, along $\mathbf{u}$")
    ax.set_xlim(0, sep["c"][-1])
    ax.set_xlabel(r"$c$")
    ax.set_ylabel(r"$\partial L / \partial c$")
    ax.legend(frameon=False, loc="lower right")
    save(fig, ctx.out("figures/p2-dloss-dc.pdf"))


def implicit_bias(ctx) -> None:
    """Problem 2: gradient descent on separable data (Soudry et al. 2018, Figure 1 setting)."""
    import numpy as np

    d = ctx.data("p2-implicit-bias")
    t = np.asarray(d["t"], dtype=float)
    fig, (a, b, c) = figure(width=TEXT_WIDTH, height=2.0, ncols=3)
    a.semilogx(t, d["norms"], color="C0", label=r"$\|\mathbf{w}_t\|$")
    lo, hi = d["fit_window"]
    fit_t = np.logspace(np.log10(lo), np.log10(hi), 20)
    a.semilogx(fit_t, d["intercept"] + d["w_hat_norm"] * np.log(fit_t), color="k", ls=":",
               label=r"$\|\hat{\mathbf{w}}\|\log t + $ const")
    a.set_xlabel(r"$t$")
    a.set_ylabel(r"$\|\mathbf{w}_t\|$")
    a.legend(frameon=False, loc="upper left")
    b.loglog(t[1:], d["angles"][1:], color="C2")
    b.set_xlabel(r"$t$")
    b.set_ylabel(r"angle$(\mathbf{w}_t, \hat{\mathbf{w}})$ [rad]")
    c.loglog(t[1:], d["losses"][1:], color="C3", label=r"$L(\mathbf{w}_t)$")
    c.loglog(t[1:], d["predicted_t_loss"] / t[1:], color="k", ls=":",
             label=r"$\|\hat{\mathbf{w}}\|^2/(\eta t)$")
    c.set_xlabel(r"$t$")
    c.set_ylabel(r"$L(\mathbf{w}_t)$")
    c.legend(frameon=False, loc="lower left")
    save(fig, ctx.out("figures/p2-implicit-bias.pdf"))


def eps_sweep(ctx) -> None:
    """Problem 3: finite-difference error against the step eps (rounding vs truncation)."""
    import numpy as np

    d = ctx.data("p3-eps")
    eps, err = np.asarray(d["eps"]), np.asarray(d["errors"])
    fig, ax = figure(width=0.62 * TEXT_WIDTH, height=2.3)
    ax.loglog(eps, err, "o", ms=2.8, color="C0", label="measured", zorder=3)
    unit = np.finfo(np.float64).eps
    k = int(np.argmin(err))
    # the two error terms, scaled to pass through the measured curve away from its minimum
    right = eps > 30 * d["best_eps"]
    left = eps < d["best_eps"] / 30
    floor = err[k] / 5
    if right.any():
        line = np.median(err[right] / eps[right] ** 2) * eps**2
        ax.loglog(eps[line >= floor], line[line >= floor], ":", color="0.35",
                  label=r"truncation $\propto \epsilon^2$")
    if left.any():
        line = np.median(err[left] * eps[left] / unit) * unit / eps
        ax.loglog(eps[line >= floor], line[line >= floor], "--", color="0.35",
                  label=r"rounding $\propto u/\epsilon$")
    ax.axvline(d["chosen_eps"], color="C3", lw=0.8)
    ax.annotate(r"$\epsilon = u^{1/3}$", (d["chosen_eps"], err.max()), xytext=(3, -2),
                textcoords="offset points", va="top")
    ax.set_ylim(floor, err.max() * 5)
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel("max relative error")
    ax.legend(frameon=False, loc="lower left")
    save(fig, ctx.out("figures/p3-eps.pdf"))
