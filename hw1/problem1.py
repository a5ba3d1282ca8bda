"""Problem 1 (regression with f = 5 ReLU, g = identity, l = ||y_hat - y||^2): the derivations
as sympy expressions, the claims that check them, and the training experiment of part 1.

Every expression below is both printed into the document and evaluated by the checks: the
derivation is written once.  The chain rule is applied by composing the pieces
(``delta3``, ``delta1``) exactly as the document shows them.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from hw1 import symbolic as s
from hw1.claims import POINTS, Claim, ElementClaim
from hw1.symbolic import T, add, mm, neg

F, G, LOSS = "5relu", "identity", "mse"
SIZES = {"n": 3, "d": 4, "K": 2}       # distinct sizes, so a missing transpose cannot pass
SEEDS = range(POINTS)

# -- part 2: the forward pass, in terms of x, W1, b1, W2, b2 only -------------------------------
Z1 = add(mm(s.W1, s.x), s.b1)                        # Linear1
Z2 = mm(5, s.ReLU(Z1))                               # f = 5 ReLU
Z3 = add(mm(5, s.W2, s.ReLU(Z1)), s.b2)              # Linear2
Y_HAT = Z3                                           # g = identity
LOSS_EXPR = s.SquaredNorm(add(Y_HAT, neg(s.y)))      # l = ||y_hat - y||^2

# -- part 3: the backward pass, by the chain rule ----------------------------------------------
# dl/dz3 = dl/dy_hat . dy_hat/dz3 (a 1 x K row); dl/dz1 = dl/dz3 . dz3/dz2 . dz2/dz1 (1 x d).
DELTA3 = mm(s.dl_dyhat, s.dyhat_dz3)
DELTA1 = mm(s.dl_dyhat, s.dyhat_dz3, s.W2, s.dz2_dz1)
DW2 = mm(T(DELTA3), T(Z2))       # dl/dW2_kj = (dl/dz3)_k (z2)_j: an outer product
DB2 = T(DELTA3)                  # dz3/db2 = I_K
DW1 = mm(T(DELTA1), T(s.x))      # dl/dW1_ij = (dl/dz1)_i x_j
DB1 = T(DELTA1)                  # dz1/db1 = I_d

# -- part 4: the three Jacobians ----------------------------------------------------------------
DZ2_DZ1 = mm(5, s.Diag(s.Step(s.z1)))
DYHAT_DZ3 = sp.Identity(s.K)
DL_DYHAT = mm(2, T(add(s.y_hat, neg(s.y))))
_z1, _y_hat, _y = (sp.IndexedBase(name) for name in ("z1", "y_hat", "y"))
DZ2_DZ1_ij = sp.Mul(5, sp.KroneckerDelta(s.i, s.j), sp.Heaviside(_z1[s.i], 0), evaluate=False)
DYHAT_DZ3_ij = sp.KroneckerDelta(s.i, s.j)
DL_DYHAT_1j = sp.Mul(2, sp.Add(_y_hat[s.j], -_y[s.j], evaluate=False), evaluate=False)

# -- part 1: the SGD step -----------------------------------------------------------------------
SGD_STEP = add(s.theta, neg(mm(s.eta, s.grad_theta)))


def _torch_jacobians(theta, x, y, t) -> dict[str, np.ndarray]:
    """The Jacobians of one point by torch.autograd.functional.jacobian, numerator layout
    (row = output, column = input); ``t`` holds the layer outputs z1, z2, z3, y_hat."""
    import torch
    from torch.autograd.functional import jacobian

    from hw1 import reference

    at = {k: torch.from_numpy(v) for k, v in t.items()}
    jac = {
        "dl_dyhat": jacobian(lambda yh: ((yh - y) ** 2).sum(), at["y_hat"])[None],
        "dyhat_dz3": jacobian(reference.activation(G), at["z3"]),
        "dz2_dz1": jacobian(reference.activation(F), at["z1"]),
        "dz3_db2": jacobian(lambda b: theta["W2"] @ at["z2"] + b, theta["b2"]),
        "dz3_dz2": jacobian(lambda z: theta["W2"] @ z + theta["b2"], at["z2"]),
        "dz1_db1": jacobian(lambda b: theta["W1"] @ x + b, theta["b1"]),
    }
    return {k: v.numpy() for k, v in jac.items()}


@cache
def points() -> tuple[dict, ...]:
    """Seeded numeric points: every symbol's value, and the references to check against.

    Points avoid the ReLU kink (min |z1| >= 1e-3, see hw1.gradcheck.draw_problem).  The
    Jacobians fed into the backward formulas come from torch.autograd.functional.jacobian,
    not from hw1, so the formulas are checked against torch alone as well as against hw1."""
    import torch

    from hw1 import reference
    from hw1.gradcheck import draw_problem
    from hw1.net import TwoLayerNet, jacobians
    from hw1.train import sgd_step

    out = []
    for seed in SEEDS:
        params, x, y, _ = draw_problem(seed, F, G, LOSS, batch=1, **SIZES)
        net = TwoLayerNet.from_params(params, F, G)
        theta = reference.as_tensors(params)
        xt, yt = torch.from_numpy(x[0]), torch.from_numpy(y[0])
        t = {k: v[0].numpy() for k, v in reference.layers(theta, xt[None], F, G).items()}
        jac = _torch_jacobians(theta, xt, yt, t)
        cache_ = net.forward(x[0])
        hw1_grads = net.backward(cache_, y[0], LOSS)
        auto = reference.autograd_gradients(params, x, y, F, G, LOSS)
        lr = 0.05 * (1 + seed)
        theta_t = reference.as_tensors(params, requires_grad=True)
        reference.loss(theta_t, x, y, F, G, LOSS).backward()
        reference.sgd_update(theta_t, lr)
        flat = lambda d: np.concatenate([np.ravel(d[k]) for k in ("W1", "b1", "W2", "b2")])  # noqa: E731
        col = lambda v: np.asarray(v, dtype=np.float64).reshape(-1, 1)  # noqa: E731
        out.append({
            **SIZES, "P": flat(params).size, "eta": lr,
            "x": col(x[0]), "y": col(y[0]),
            "W1": params["W1"], "b1": col(params["b1"]), "W2": params["W2"], "b2": col(params["b2"]),
            "z1": col(t["z1"]), "z2": col(t["z2"]), "z3": col(t["z3"]), "y_hat": col(t["y_hat"]),
            **jac,
            "theta": col(flat(params)), "grad_theta": col(flat(auto)),
            "torch": {**t, "ell": float(((t["y_hat"] - y[0]) ** 2).sum()),
                      **{"d" + k: v for k, v in auto.items()}, **jac,
                      "sgd": flat({k: v.detach().numpy() for k, v in theta_t.items()})},
            "hw1": {"z1": cache_.z1, "z2": cache_.z2, "z3": cache_.z3, "y_hat": cache_.y_hat,
                    "ell": net.loss(cache_, y[0], LOSS),
                    **{"d" + k: v for k, v in hw1_grads.items()},
                    **jacobians(net, x[0], y[0], LOSS),
                    "sgd": flat(sgd_step(params, auto, lr))},
        })
    return tuple(out)


def _ref(key: str, *sources: str):
    """Reference values for ``key`` from the named sources (torch, hw1)."""
    labels = {"torch": "torch", "hw1": "hw1.net"}
    return lambda point: {labels[src]: point[src][key] for src in sources}


def _claim(name, lhs, rhs, ref, cls=Claim, **kwargs):
    return cls(name, lhs, rhs, points=points, reference=ref, **kwargs)


@cache
def claims() -> list[Claim]:
    """Problem 1's claims, in the order the document shows them."""
    both = ("torch", "hw1")
    return [
        _claim("p1.forward.z1", s.z1, Z1, _ref("z1", *both)),
        _claim("p1.forward.z2", s.z2, Z2, _ref("z2", *both)),
        _claim("p1.forward.z3", s.z3, Z3, _ref("z3", *both)),
        _claim("p1.forward.y_hat", s.y_hat, Y_HAT, _ref("y_hat", *both)),
        _claim("p1.forward.loss", s.ell, LOSS_EXPR, _ref("ell", *both)),
        _claim("p1.backward.dz3_db2", s.dz3_db2, sp.Identity(s.K), _ref("dz3_db2", "torch")),
        _claim("p1.backward.dz3_dz2", s.dz3_dz2, s.W2, _ref("dz3_dz2", "torch")),
        _claim("p1.backward.dz1_db1", s.dz1_db1, sp.Identity(s.d), _ref("dz1_db1", "torch")),
        _claim("p1.backward.dW2", s.dW2, DW2, _ref("dW2", *both)),
        _claim("p1.backward.db2", s.db2, DB2, _ref("db2", *both)),
        _claim("p1.backward.dW1", s.dW1, DW1, _ref("dW1", *both)),
        _claim("p1.backward.db1", s.db1, DB1, _ref("db1", *both)),
        _claim("p1.jacobian.dz2_dz1", s.dz2_dz1, DZ2_DZ1, _ref("dz2_dz1", *both)),
        _claim("p1.jacobian.dz2_dz1.ij", s.dz2_dz1, DZ2_DZ1_ij, _ref("dz2_dz1", *both), cls=ElementClaim),
        _claim("p1.jacobian.dyhat_dz3", s.dyhat_dz3, DYHAT_DZ3, _ref("dyhat_dz3", *both)),
        _claim("p1.jacobian.dyhat_dz3.ij", s.dyhat_dz3, DYHAT_DZ3_ij, _ref("dyhat_dz3", *both),
               cls=ElementClaim),
        _claim("p1.jacobian.dl_dyhat", s.dl_dyhat, DL_DYHAT, _ref("dl_dyhat", *both)),
        _claim("p1.jacobian.dl_dyhat.1j", s.dl_dyhat, DL_DYHAT_1j, _ref("dl_dyhat", *both),
               cls=ElementClaim, row="1"),
        _claim("p1.sgd.step", s.theta_next, SGD_STEP,
               lambda p: {"torch.optim.sgd.sgd": p["torch"]["sgd"], "hw1.train.sgd_step": p["hw1"]["sgd"]}),
    ]


@cache
def draft_claims() -> list[Claim]:
    """The draft's statements that are wrong; each must fail verification."""
    both = ("torch", "hw1")
    relu = s.ReLU(Z1)
    return [
        # 5 multiplies b2 too
        _claim("draft.forward.y_hat", s.y_hat, mm(5, add(mm(s.W2, relu), s.b2)), _ref("y_hat", *both)),
        # dz3/db2 taken as 5
        _claim("draft.backward.dz3_db2", s.dz3_db2, mm(5, sp.Identity(s.K)), _ref("dz3_db2", "torch")),
        # db2 carrying a factor 5
        _claim("draft.backward.db2", s.db2, mm(5, T(DELTA3)), _ref("db2", *both)),
        # dW2 = 5 dl/dy_hat dy_hat/dz3 max(0, W1 x + b1): a (1 x K)(K x K)(d x 1) product
        _claim("draft.backward.dW2", s.dW2, mm(5, s.dl_dyhat, s.dyhat_dz3, relu), _ref("dW2", *both)),
        # dW1 = dl/dy_hat dy_hat/dz3 W2 dz2/dz1 x: a (1 x d)(n x 1) product
        _claim("draft.backward.dW1", s.dW1, mm(s.dl_dyhat, s.dyhat_dz3, s.W2, s.dz2_dz1, s.x),
               _ref("dW1", *both)),
    ]
