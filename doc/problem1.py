"""Problem 1 (regression with f = 5 ReLU, g = identity, l = ||y_hat - y||^2): the derivations as
sympy expressions, the claims that check them, and the training run of part 1.

Every expression below is both printed into the document and evaluated by the checks: the
derivation is written once.  The chain rule is applied by composing the pieces (``DELTA3``,
``DELTA1``) exactly as the document shows them.  Names follow the document: ``z1``, ``dW2``...
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

from hw1 import symbolic as s
from hw1.engine import claim, experiment, figure, value
from hw1.engine.claims import POINTS, entry
from hw1.symbolic import T, add, mm, neg

F, G, LOSS = "5relu", "identity", "mse"
SIZES = {"n": 3, "d": 4, "K": 2}       # distinct sizes, so a missing transpose cannot pass


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
    for seed in range(POINTS):
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


def both(key: str):
    """The references for ``key``: torch (autograd, torch.autograd.functional.jacobian) and hw1.net."""
    return lambda point: {"torch": point["torch"][key], "hw1.net": point["hw1"][key]}


def torch_only(key: str):
    return lambda point: {"torch": point["torch"][key]}


# -- part 2: the forward pass, in terms of x, W1, b1, W2, b2 only -------------------------------
@claim(lhs=s.z1, points=points, against=both("z1"))
def z1():
    return add(mm(s.W1, s.x), s.b1)                   # Linear1


@claim(lhs=s.z2, points=points, against=both("z2"))
def z2():
    return mm(5, s.ReLU(z1()))                        # f = 5 ReLU


@claim(lhs=s.z3, points=points, against=both("z3"))
def z3():
    return add(mm(5, s.W2, s.ReLU(z1())), s.b2)       # Linear2: the 5 multiplies W2 z2, not b2


@claim(lhs=s.y_hat, points=points, against=both("y_hat"))
def y_hat():
    return z3()                                       # g = identity


@claim(lhs=s.ell, points=points, against=both("ell"))
def loss():
    return s.SquaredNorm(add(y_hat(), neg(s.y)))      # l = ||y_hat - y||^2


@value
def layer_table():
    """Each layer's input and output, by name, with the space the output lives in."""
    from pylatex import NoEscape, Tabular

    def math(expr) -> NoEscape:
        return NoEscape(f"${s.latex(expr)}$")        # sympy's printer output, nothing else

    table = Tabular("llll", booktabs=True)
    table.add_row(["Layer", "Input", "Output", "Output lives in"])
    table.add_hline()
    rows = [(r"$\mathrm{Linear}_1$", [s.x], s.z1), ("$f$", [s.z1], s.z2),
            (r"$\mathrm{Linear}_2$", [s.z2], s.z3), ("$g$", [s.z3], s.y_hat),
            (r"$\ell_{\mathrm{MSE}}$", [s.y_hat, s.y], s.ell)]
    for layer, inputs, output in rows:
        rows_, _ = output.shape
        where = r"$\mathbb{R}$" if rows_ == 1 else r"$\mathbb{R}^{%s}$" % s.latex(rows_)
        table.add_row([NoEscape(layer), NoEscape(", ".join(math(i) for i in inputs)),
                       math(output), NoEscape(where)])
    return table


# -- part 3: the backward pass, by the chain rule ----------------------------------------------
# dl/dz3 = dl/dy_hat . dy_hat/dz3 (a 1 x K row); dl/dz1 = dl/dz3 . dz3/dz2 . dz2/dz1 (1 x d).
DELTA3 = mm(s.dl_dyhat, s.dyhat_dz3)
DELTA1 = mm(s.dl_dyhat, s.dyhat_dz3, s.W2, s.dz2_dz1)


@claim(lhs=s.dz3_db2, points=points, against=torch_only("dz3_db2"))
def dz3_db2():
    return sp.Identity(s.K)


@claim(lhs=s.dz3_dz2, points=points, against=torch_only("dz3_dz2"))
def dz3_dz2():
    return s.W2


@claim(lhs=s.dz1_db1, points=points, against=torch_only("dz1_db1"))
def dz1_db1():
    return sp.Identity(s.d)


@claim(lhs=s.dW2, points=points, against=both("dW2"))
def dW2():
    return mm(T(DELTA3), T(z2()))      # dl/dW2_kj = (dl/dz3)_k (z2)_j: an outer product


@claim(lhs=s.db2, points=points, against=both("db2"))
def db2():
    return T(DELTA3)                   # dz3/db2 = I_K


@claim(lhs=s.dW1, points=points, against=both("dW1"))
def dW1():
    return mm(T(DELTA1), T(s.x))       # dl/dW1_ij = (dl/dz1)_i x_j


@claim(lhs=s.db1, points=points, against=both("db1"))
def db1():
    return T(DELTA1)                   # dz1/db1 = I_d


# -- part 4: the three Jacobians, as matrices and entry by entry --------------------------------
@claim(lhs=s.dz2_dz1, points=points, against=both("dz2_dz1"))
def dz2_dz1():
    return mm(5, s.Diag(s.Step(s.z1)))


@claim(lhs=entry(s.dz2_dz1), points=points, against=both("dz2_dz1"))
def dz2_dz1_ij():
    return sp.Mul(5, sp.KroneckerDelta(s.i, s.j), sp.Heaviside(s.z1_[s.i], 0), evaluate=False)


@claim(lhs=s.dyhat_dz3, points=points, against=both("dyhat_dz3"))
def dyhat_dz3():
    return sp.Identity(s.K)


@claim(lhs=entry(s.dyhat_dz3), points=points, against=both("dyhat_dz3"))
def dyhat_dz3_ij():
    return sp.KroneckerDelta(s.i, s.j)


@claim(lhs=s.dl_dyhat, points=points, against=both("dl_dyhat"))
def dl_dyhat():
    return mm(2, T(add(s.y_hat, neg(s.y))))


@claim(lhs=entry(s.dl_dyhat, row="1"), points=points, against=both("dl_dyhat"))
def dl_dyhat_1j():
    return sp.Mul(2, sp.Add(s.y_hat_[s.j], -s.y_[s.j], evaluate=False), evaluate=False)


def _grad_at_zero(name: str) -> str:
    """What PyTorch's autograd returns for the activation ``name`` at exactly 0."""
    import torch

    from hw1 import reference

    z = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    reference.activation(name)(z).sum().backward()
    return f"{z.grad.item():g}"


@value
def relu_grad_at_zero():
    return _grad_at_zero("relu")


@value
def five_relu_grad_at_zero():
    return _grad_at_zero("5relu")


# -- part 1: training with SGD ------------------------------------------------------------------
@claim(lhs=s.theta_next, points=points,
       against=lambda p: {"torch.optim.sgd.sgd": p["torch"]["sgd"], "hw1.train.sgd_step": p["hw1"]["sgd"]})
def sgd_step():
    return add(s.theta, neg(mm(s.eta, s.grad_theta)))


@experiment(n=4, d=16, K=2, batch=32, lr=0.01, steps=200, seed=0)
def training(n, d, K, batch, lr, steps, seed):
    """SGD on one seeded synthetic batch: targets from a random 'teacher' network of the same
    form plus noise, a student trained by hw1.train.train_sgd."""
    from hw1.net import TwoLayerNet
    from hw1.train import train_sgd

    rng = np.random.default_rng(seed)
    teacher = TwoLayerNet(n, d, K, F, G, seed=seed + 1000)
    x = rng.normal(size=(batch, n))
    y = teacher.forward(x).y_hat + 0.1 * rng.normal(size=(batch, K))
    student = TwoLayerNet(n, d, K, F, G, seed=seed)
    result = train_sgd(student.params, x, y, f=F, g=G, loss=LOSS, lr=lr, steps=steps)
    return {"n": n, "d": d, "K": K, "batch": batch, "lr": lr, "steps": steps, "seed": seed,
            "losses": result.losses}


@figure
def training_plot(training):
    """The batch loss over the SGD iterations."""
    from hw1.plotting import figure

    losses = training["losses"]
    fig, ax = figure(height=2.0)
    ax.semilogy(range(len(losses)), losses, color="C0")
    ax.set_xlabel("SGD iteration $t$")
    ax.set_ylabel(r"batch loss $\ell(\boldsymbol{\theta}_t)$")
    ax.set_xlim(0, len(losses) - 1)
    return fig


@value
def train_batch(training):
    return training["batch"]


@value
def train_n(training):
    return training["n"]


@value
def train_d(training):
    return training["d"]


@value
def train_K(training):
    return training["K"]


@value
def train_lr(training):
    return training["lr"]


@value
def train_steps(training):
    return training["steps"]


@value
def train_seed(training):
    return training["seed"]


@value(digits=3, sci=True)
def loss_start(training):
    return training["losses"][0]


@value(digits=3, sci=True)
def loss_end(training):
    return training["losses"][-1]


def _listing_lines() -> tuple[int, int]:
    """First and last line of hw1.train.train_sgd in hw1/train.py, which the document lists."""
    import inspect

    from hw1 import train

    lines, first = inspect.getsourcelines(train.train_sgd)
    if not "".join(lines).isascii():
        raise ValueError("hw1.train.train_sgd contains non-ASCII characters, which the listing "
                         "cannot typeset; write its comments in ASCII")
    return first, first + len(lines) - 1


@value
def listing_first():
    return _listing_lines()[0]


@value
def listing_last():
    return _listing_lines()[1]


# -- the draft's mistakes, kept on record: each must fail ---------------------------------------
@claim(lhs=s.y_hat, points=points, against=both("y_hat"), wrong=True)
def draft_y_hat():
    """The draft lets the 5 multiply b2 too."""
    return mm(5, add(mm(s.W2, s.ReLU(z1())), s.b2))


@claim(lhs=s.dz3_db2, points=points, against=torch_only("dz3_db2"), wrong=True)
def draft_dz3_db2():
    """The draft takes dz3/db2 as 5."""
    return mm(5, sp.Identity(s.K))


@claim(lhs=s.db2, points=points, against=both("db2"), wrong=True)
def draft_db2():
    """The draft's db2 carries a factor 5."""
    return mm(5, T(DELTA3))


@claim(lhs=s.dW2, points=points, against=both("dW2"), wrong=True)
def draft_dW2():
    """The draft's dW2 = 5 dl/dy_hat dy_hat/dz3 max(0, W1 x + b1): a (1 x K)(K x K)(d x 1) product."""
    return mm(5, s.dl_dyhat, s.dyhat_dz3, s.ReLU(z1()))


@claim(lhs=s.dW1, points=points, against=both("dW1"), wrong=True)
def draft_dW1():
    """The draft's dW1 = dl/dy_hat dy_hat/dz3 W2 dz2/dz1 x: a (1 x d)(n x 1) product."""
    return mm(s.dl_dyhat, s.dyhat_dz3, s.W2, s.dz2_dz1, s.x)
