"""The document's plotting style: a figure of the size it is shown, in the document's fonts.

A ``@figure`` declaration draws from computed data (never computes) on ``figure(...)`` and
returns it; the build saves it as a PDF without a creation date, so two builds give the same
bytes.  Figures are drawn at the size they are shown (the document includes them unscaled),
with Computer Modern through matplotlib's mathtext "cm" and its cmr10 text font.
"""

from __future__ import annotations

import logging

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
