"""The fixture document's module: an experiment, a value, a claim, a figure and a check."""

from __future__ import annotations

import sympy as sp

from hw1.engine import check, claim, experiment, figure, value

x = sp.Symbol("x")


def points():
    return [{"x": v} for v in (0.5, 1.0, 2.0)]


@claim(lhs=sp.Symbol("f'"), points=points, against=lambda p: {"numpy": 2 * p["x"]})
def derivative():
    return sp.diff(x**2, x)


@experiment(n=5)
def samples(n):
    return {"x": [k / (n - 1) for k in range(n)], "y": [(k / (n - 1)) ** 2 for k in range(n)]}


@value(digits=3)
def slope_at_one():
    return 2.0


@figure
def curve(samples):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.plot(samples["x"], samples["y"])
    return fig


@check(tol=1e-12, method="the last sample is 1")
def last_sample(samples):
    return abs(samples["y"][-1] - 1.0)
