"""Problem 2: the logistic loss on separable data has no minimiser.

The loss along a ray and its derivative are derived with sympy and registered as claims; the
data behind the figures are computed by ``hw1.logistic_experiments``.  With
m_i = y_i w_hat^T x_i the margin of point i along w_hat,

    L(c w_hat) = sum_i log(1 + exp(-c m_i)),   dL/dc = -sum_i m_i / (1 + exp(c m_i)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import sympy as sp

from hw1 import logistic
from hw1 import symbolic as s
from hw1.claims import POINTS, Claim
from hw1.logistic_experiments import rays

N = sp.Symbol("N", integer=True, positive=True)     # number of data points
m = sp.IndexedBase("m")                              # margins along w_hat
L_ray, dL_dc = sp.Symbol("L_ray"), sp.Symbol("dL_dc")
i = sp.Symbol("i", integer=True, positive=True)

LOSS_RAY = sp.Sum(sp.log(1 + sp.exp(-s.c * m[i])), (i, 1, N))
DERIVED = sp.diff(LOSS_RAY, s.c)                      # sympy's derivative, as it comes
# the same, written as the proof reads it: a minus sign times a sum of positive terms
DLOSS_DC = sp.Mul(-1, sp.Sum(m[i] / (1 + sp.exp(s.c * m[i])), (i, 1, N)), evaluate=False)

C_VALUES = (0.0, 0.5, 3.0, 20.0)                     # points along each ray


def points_at(datasets: Sequence[tuple]) -> tuple[dict, ...]:
    """Points (margins m along a ray, c) with torch autograd and hw1.logistic as references, and
    sympy's own unsimplified derivative as a third.  ``datasets`` holds (X, y, w) for each ray."""
    import torch

    derived = s.lambdify([s.c, m, N], DERIVED)
    out = []
    for X, y, w in datasets:
        X, y, w = (np.asarray(v, dtype=np.float64) for v in (X, y, w))
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
def points() -> tuple[dict, ...]:
    """The claims' points on the two rays of ``hw1.logistic_experiments.rays`` (a separable set
    along its max-margin direction, a non-separable one along its minimiser's)."""
    return points_at([(X, y, w) for _, X, y, w in rays()])


@cache
def claims(points: Callable[[], Sequence[dict]] = points) -> list[Claim]:
    """Problem 2's claims, verified on ``points`` (computed here by default; the build passes
    points on the rays its p2-ray artifact computed, so that its torch worker needs no scipy)."""
    return [
        Claim("p2.loss_ray", L_ray, LOSS_RAY, points=points, reference=lambda p: p["L_ray"]),
        Claim("p2.dloss_dc", dL_dc, DLOSS_DC, points=points, reference=lambda p: p["dL_dc"]),
    ]


def draft_claims() -> list[Claim]:
    return []   # the draft's derivative is right; its argument is what Problem 2 repairs
