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
    "figure.constrained_layout.use": True,
}


def figure(width: float = 0.8 * TEXT_WIDTH, height: float = 2.2, ncols: int = 1):
    plt.rcParams.update(STYLE)
    return plt.subplots(1, ncols, figsize=(width, height))


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
