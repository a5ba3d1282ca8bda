"""Problem 3: gradient checks of hw1's hand-written backprop, as results in their own right.

- ``gradients``: for every configuration (f, g, loss), the largest relative error of each
  gradient against torch autograd and against central finite differences, over seeded trials.
- ``eps``: the finite-difference error against the step eps, which is V-shaped: truncation
  error ~ eps^2 on the right, rounding error ~ machine epsilon / eps on the left.

The checking itself is library code: ``hw1.gradcheck.verify_gradients``.
"""

from __future__ import annotations

import numpy as np

from hw1 import gradcheck
from hw1.engine import check, experiment, figure, value
from hw1.engine.notation import Notation

ACTIVATIONS_F = ("5relu", "relu", "tanh", "sigmoid")
OUTPUTS = (("identity", "mse"), ("sigmoid", "mse"), ("sigmoid", "bce"))
CONFIGS = tuple((f, g, loss) for f in ACTIVATIONS_F for g, loss in OUTPUTS)
NAMES = {"5relu": r"$5\,\mathrm{ReLU}$", "relu": r"$\mathrm{ReLU}$", "tanh": r"$\tanh$",
         "sigmoid": r"$\sigma$", "identity": "identity", "mse": "MSE", "bce": "BCE"}


def hand_written(f: str, g: str, loss: str):
    """hw1's backprop as a candidate for ``verify_gradients``."""
    from hw1.net import TwoLayerNet

    def candidate(params, x, y):
        net = TwoLayerNet.from_params(params, f, g)
        return net.backward(net.forward(x), y, loss)
    return candidate


@experiment(seeds=20, n=4, d=5, K=3, batch=8)
def gradients(seeds, n, d, K, batch):
    """Every configuration checked on ``seeds`` seeded problems."""
    rows = []
    for f, g, loss in CONFIGS:
        report = gradcheck.verify_gradients(hand_written(f, g, loss), f=f, g=g, loss=loss, n=n, d=d,
                                            K=K, batch=batch, seeds=range(seeds))
        rows.append({"f": f, "g": g, "loss": loss, "ok": bool(report),
                     "autograd": {r.name: r.err_autograd for r in report.rows},
                     "fd": {r.name: r.err_fd for r in report.rows},
                     "rejected_near_kink": report.rejected_near_kink, "problems": report.problems})
    return {"seeds": seeds, "n": n, "d": d, "K": K, "batch": batch, "rows": rows}


@value
def table(gradients):
    """One row per configuration: the largest error of any gradient against each reference.
    A configuration that fails stops the build: the table never shows a failed check as data."""
    from pylatex import NoEscape, Tabular

    from hw1.engine.fragments import sci

    failed = [f"{r['f']}/{r['g']}/{r['loss']}" for r in gradients["rows"] if not r["ok"]]
    if failed:
        raise RuntimeError(f"hand-written gradients do not match for {', '.join(failed)}")
    tab = Tabular("lllrrc", booktabs=True)
    tab.add_row([NoEscape("$f$"), NoEscape("$g$"), "loss", "vs autograd", "vs finite diff.", "result"])
    tab.add_hline()
    for row in gradients["rows"]:
        auto, fd = max(row["autograd"].values()), max(row["fd"].values())
        tab.add_row([NoEscape(NAMES[row["f"]]), NoEscape(NAMES[row["g"]]), NAMES[row["loss"]],
                     NoEscape(sci(auto)), NoEscape(sci(fd)), "ok"])
    return tab


@value
def configs(gradients):
    return len(gradients["rows"])


@value
def seeds(gradients):
    return gradients["seeds"]


@value
def size_n(gradients):
    return gradients["n"]


@value
def size_d(gradients):
    return gradients["d"]


@value
def size_K(gradients):
    return gradients["K"]


@value
def batch(gradients):
    return gradients["batch"]


@value
def rejected(gradients):
    return sum(r["rejected_near_kink"] for r in gradients["rows"])


@value(digits=1, sci=True)
def kink_margin():
    return gradcheck.KINK_MARGIN


@value(digits=1, sci=True)
def tol_autograd():
    return gradcheck.RTOL_AUTOGRAD


@value(digits=1, sci=True)
def tol_fd():
    return gradcheck.RTOL_FD


@experiment(f="tanh", g="identity", loss="mse", seed=0, n=4, d=5, K=3, batch=8, points=45)
def eps(f, g, loss, seed, n, d, K, batch, points):
    """Finite-difference error (max over parameters, vs autograd) for eps in 1e-12 .. 1e-1."""
    from hw1 import reference

    params, x, y, _ = gradcheck.draw_problem(seed, f, g, loss, n, d, K, batch)
    with reference.single_thread():
        auto = reference.autograd_gradients(params, x, y, f, g, loss)

        def error(step: float) -> float:
            fd = reference.finite_difference_gradients(params, x, y, f, g, loss, eps=step)
            return max(gradcheck.rel_err(fd[k], auto[k]) for k in auto)

        steps = np.logspace(-12, -1, points)
        errors = [error(float(e)) for e in steps]
        chosen_error = error(gradcheck.FD_EPS)
    best = int(np.argmin(errors))
    return {"f": f, "g": g, "loss": loss, "seed": seed, "eps": steps, "errors": errors,
            "best_eps": float(steps[best]), "best_error": float(errors[best]),
            "chosen_eps": gradcheck.FD_EPS, "chosen_error": chosen_error}


@figure
def eps_plot(eps):
    """Finite-difference error against the step eps (rounding vs truncation)."""
    from hw1.plotting import TEXT_WIDTH, figure

    steps, err = np.asarray(eps["eps"]), np.asarray(eps["errors"])
    fig, ax = figure(width=0.62 * TEXT_WIDTH, height=2.3)
    ax.loglog(steps, err, "o", ms=2.8, color="C0", label="measured", zorder=3)
    unit = np.finfo(np.float64).eps
    k = int(np.argmin(err))
    # the two error terms, scaled to pass through the measured curve away from its minimum
    right = steps > 30 * eps["best_eps"]
    left = steps < eps["best_eps"] / 30
    floor = err[k] / 5
    if right.any():
        line = np.median(err[right] / steps[right] ** 2) * steps**2
        ax.loglog(steps[line >= floor], line[line >= floor], ":", color="0.35",
                  label=r"truncation $\propto \epsilon^2$")
    if left.any():
        line = np.median(err[left] * steps[left] / unit) * unit / steps
        ax.loglog(steps[line >= floor], line[line >= floor], "--", color="0.35",
                  label=r"rounding $\propto u/\epsilon$")
    ax.axvline(eps["chosen_eps"], color="C3", lw=0.8)
    ax.annotate(r"$\epsilon = u^{1/3}$", (eps["chosen_eps"], err.max()), xytext=(3, -2),
                textcoords="offset points", va="top")
    ax.set_ylim(floor, err.max() * 5)
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel("max relative error")
    ax.legend(frameon=False, loc="lower left")
    return fig


@value
def eps_config(eps):
    from pylatex import NoEscape

    return NoEscape(f"$f = {NAMES[eps['f']].strip('$')}$, $g$ = {NAMES[eps['g']]}, "
                    f"{NAMES[eps['loss']]} loss, seed {int(eps['seed'])}")


@value(digits=2, sci=True)
def best_eps(eps):
    return eps["best_eps"]


@value(digits=2, sci=True)
def best_error(eps):
    return eps["best_error"]


@value(digits=2, sci=True)
def chosen_eps(eps):
    return eps["chosen_eps"]


@value(digits=2, sci=True)
def chosen_error(eps):
    return eps["chosen_error"]


# -- what `invoke check` confirms -------------------------------------------------------------------
def _worst(gradients, reference: str) -> dict[str, float]:
    return {f"{r['f']}/{r['g']}/{r['loss']}": max(r[reference].values()) if not r["problems"] else np.inf
            for r in gradients["rows"]}


@check(tol=gradcheck.RTOL_AUTOGRAD, method="hand-written vs torch autograd")
def vs_autograd(gradients):
    return _worst(gradients, "autograd")


@check(tol=gradcheck.RTOL_FD, method="hand-written vs central finite differences")
def vs_finite_differences(gradients):
    return _worst(gradients, "fd")


# -- the classification variant, typed by hand in problem3.tex --------------------------------------
def _sigmoid(t):
    """The logistic function as torch computes it: the typed 1/(1 + e^{-z}) is checked against it."""
    import torch

    return torch.sigmoid(t)


# The notation problem3.tex is read with: every typed display of it is checked numerically at
# seeded points (hw1.engine.typed); derivatives in numerator layout, a gradient like its parameter.
NOTATION = N = Notation()
n_, d_, K_ = N.size("n", 4), N.size("d", 5), N.size("K", 3)
N.vector(r"\mathbf{x}", "x", size=n_)
N.vector(r"\mathbf{y}", "y", size=K_, domain="unit")      # targets in (0, 1): BCE's log(1 - y) stays finite
N.matrix(r"\mathbf{W}^{(1)}", "W^{(1)}", shape=(d_, n_))
N.vector(r"\mathbf{b}^{(1)}", "b^{(1)}", size=d_)
N.matrix(r"\mathbf{W}^{(2)}", "W^{(2)}", shape=(K_, d_))
N.vector(r"\mathbf{b}^{(2)}", "b^{(2)}", size=K_)
N.function(r"\sigma", meaning=_sigmoid)
N.define(r"\mathbf{z}_1", "z_1", r"\mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)}")
N.define(r"\mathbf{z}_2", "z_2", r"\tanh(\mathbf{z}_1)")
N.define(r"\mathbf{z}_3", "z_3", r"\mathbf{W}^{(2)}\mathbf{z}_2 + \mathbf{b}^{(2)}")
N.define(r"\hat{\mathbf{y}}", r"\hat{y}", r"\sigma(\mathbf{z}_3)")
N.define(r"\ell", r"(\hat{\mathbf{y}} - \mathbf{y})^\top(\hat{\mathbf{y}} - \mathbf{y})")
N.define(r"\ell_{\mathrm{BCE}}", r"-\frac{1}{K}\bigl(\mathbf{y}^\top\log\hat{\mathbf{y}}"
         r" + (1 - \mathbf{y})^\top\log(1 - \hat{\mathbf{y}})\bigr)")
N.define(r"d\mathbf{W}^{(1)}", r"\frac{\partial \ell}{\partial \mathbf{W}^{(1)}}")
N.define(r"d\mathbf{W}^{(2)}", r"\frac{\partial \ell}{\partial \mathbf{W}^{(2)}}")
N.define(r"d\mathbf{b}^{(1)}", r"\Bigl(\frac{\partial \ell}{\partial \mathbf{b}^{(1)}}\Bigr)^\top")
N.define(r"d\mathbf{b}^{(2)}", r"\Bigl(\frac{\partial \ell}{\partial \mathbf{b}^{(2)}}\Bigr)^\top")
