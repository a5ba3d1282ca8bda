"""The document's own values: what the introduction of hw1.tex says about every claim."""

from __future__ import annotations

from hw1.engine import value


@value
def claim_points():
    from hw1.engine.claims import POINTS

    return POINTS


@value(digits=1, sci=True)
def claim_tol():
    from hw1.engine.claims import DEFAULT_TOL

    return DEFAULT_TOL


@value
def example_mark():
    """The mark a formula exact to double precision gets: machine epsilon, 2^-52."""
    import sys

    from pylatex import NoEscape

    from hw1.engine.fragments import mark

    return NoEscape(mark(sys.float_info.epsilon))
