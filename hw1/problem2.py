"""Problem 2: the logistic loss on separable data has no minimiser.

The loss along a ray and its derivative are derived with sympy and registered as claims; the
data behind the figures are computed by ``hw1.logistic_experiments``.  With
m_i = y_i w_hat^T x_i the margin of point i along w_hat,

    L(c w_hat) = sum_i log(1 + exp(-c m_i)),   dL/dc = -sum_i m_i / (1 + exp(c m_i)).
"""

from __future__ import annotations

from functools import cache

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


@cache
def points() -> tuple[dict, ...]:
    """Seeded points (dataset, direction, c) with torch autograd and hw1.logistic as
    references, and sympy's own unsimplified derivative as a third."""
    import torch

    derived = s.lambdify([s.c, m, N], DERIVED)
    out = []
    for _, X, y, w in rays():
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
