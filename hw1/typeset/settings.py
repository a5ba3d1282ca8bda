"""The constants the document's prose quotes (tolerances, check sizes), as macros, so that
no number in the text is typed by hand."""

from __future__ import annotations

from hw1 import claims, gradcheck
from hw1.typeset import define, sci, write_fragment


def constants(ctx) -> None:
    write_fragment(ctx.out("build/generated/settings.tex"), [
        define("ClaimPoints", str(claims.POINTS)),
        define("ClaimTol", sci(claims.DEFAULT_TOL, 1)),
        define("KinkMargin", sci(gradcheck.KINK_MARGIN, 1)),
        define("FDEps", sci(gradcheck.FD_EPS, 1)),
        define("TolAutograd", sci(gradcheck.RTOL_AUTOGRAD, 1)),
        define("TolFD", sci(gradcheck.RTOL_FD, 1)),
    ], made_by="hw1.typeset.settings.constants")
