"""``verify_gradients``: check a candidate gradient function against torch autograd and
central finite differences on seeded random problems.

Error measure, per parameter: the normwise relative error
    rel_err(a, b) = max|a - b| / max(max|a|, max|b|)     (0 when both are 0),
maximised over the trials.  For ReLU-type f, check points are drawn away from the kink at 0
(min |z1| >= KINK_MARGIN, far above the finite-difference step), and the report says how many
points were redrawn for being too close.

The candidate may work on numpy arrays or torch tensors (``tensors``), in float64 or float32
(``dtype``), with the homework's loss convention or torch's ``reduction="mean"``/``"sum"``.

Float32 tolerances (``dtype=float32``).  The candidate gets the problem rounded to float32;
autograd and finite differences run in float64 on those same rounded values, so they are exact
to about 1e-16 and the whole mismatch is the candidate's own rounding.  Its tolerance is a bound
on that rounding, derived for each problem and each gradient from the standard model
fl(a op b) = (a op b)(1 + delta), |delta| <= u = U32 = 2^-24 (about 6.0e-8):

- a dot product of length m, summed in any order, with or without FMA, is off by at most
  gamma_m |a|.|b| with gamma_m = m u / (1 - m u) ~ m u; a bias is one more term;
- each quantity q of the forward and backward pass carries an error bound u E_q, propagated to
  first order (|.| taken entrywise; s is the reduction's scale, 1/B, 1/(B K) or 1):
      z1 = x W1^T + b1          E_z1  = (n + 1)(|x| |W1|^T + |b1|)
      z2 = f(z1)                E_z2  = |f'(z1)| E_z1 + c_f |z2|
      z3 = z2 W2^T + b2         E_z3  = E_z2 |W2|^T + (d + 1)(|z2| |W2|^T + |b2|)
      y_hat = g(z3)             E_yh  = |g'(z3)| E_z3 + c_g |y_hat|
      r = y_hat - y             E_r   = E_yh + |r|
      dz3 = 2 s r g'(z3)        E_dz3 = 2 |s| (E_r |g'| + |r| E_g') + 4 |dz3|           (mse)
      dz3 = s r                 E_dz3 = |s| E_r + 8 |dz3|      (bce, fused or through dl/dy_hat)
      dW2 = dz3^T z2            E_dW2 = E_dz3^T |z2| + |dz3|^T E_z2 + B |dz3|^T |z2|
      db2 = sum_B dz3           E_db2 = sum_B E_dz3 + B sum_B |dz3|
      dz2 = dz3 W2              E_dz2 = E_dz3 |W2| + K |dz3| |W2|
      dz1 = dz2 * f'(z1)        E_dz1 = E_dz2 |f'| + |dz2| E_f' + |dz1|
      dW1 = dz1^T x, db1 = sum_B dz1    as dW2, db2 (x is exact)
  where c = 0 for identity and ReLU (exact), 1 for 5 ReLU (one product) and ACT_ULPS = 8 for
  sigmoid and tanh (torch's and numpy's float32 versions are within a few ulps); the derivative
  of sigmoid is a (1 - a) (E = E_a + 2 |a (1 - a)|), of tanh 1 - a^2 (E = 2 |a| E_a + a^2 +
  |1 - a^2|), and a ReLU mask is exact when |z| > u E_z, which KINK_MARGIN guarantees for z1
  and which is checked for z3;
- the tolerance of gradient p is  SAFETY * u * max(E_p) / max|p|  with SAFETY = 2 (for the
  dropped O(u^2) terms and a differently arranged but equivalent formula): the normwise relative
  error that a correct float32 computation cannot exceed.  Against finite differences it is that
  plus RTOL_FD.
The sizes of the sums (n, d, K, B) enter through gamma_m, the condition of the problem through
the ratios max(|a|.|b|) / max|a.b| (cancellation in the sums and in y_hat - y).  For the default
sizes (n, d, K, B) = (4, 5, 3, 8) these tolerances lie between about 2e-6 and 4e-4; a correct
float32 implementation stays more than 10 times below them (median about 100 times), and the
mistakes students make (a factor, a transpose, a sign, a wrong derivative) are off by 0.1 to 2.
TF32 or bfloat16 arithmetic (u = 2^-11, 2^-8) is not float32 and fails these tolerances.  Each
trial is compared with its own tolerance; the report shows the largest and the worst err/tol.

The same bound tells, in a float64 check, a mismatch at the level of float32 rounding (code that
computes or stores some of it in float32).  There the inputs are float64 numbers that such code
first rounds, each input then carrying E = |input|: one more term in each sum it enters
(``round_inputs``: (n + 3) in E_z1, (d + 2) in E_z3, + |y| in E_r, (K + 1) in E_dz2, (B + 1) in
E_dW1).

Diagnosis.  A failing gradient p is compared with autograd's over all trials: "all zeros";
a constant factor alpha (least squares over every entry of every trial) when alpha ref matches
the candidate to the check's own tolerance in every trial and to a tenth of its mismatch --
"opposite sign" for -1, named by the first of these tiers with a name of that value: B, K, B*K
and their reciprocals; 2, 1/2, 5, 1/5; one of those constants times one of those sizes (2*K,
K/2, 1/(2*B), 1/(2*K), 1/(2*B*K), 5*B, ...) -- "factor 5", "factor B = 8", "factor 1/B = 1/8",
"factor K/2 = 3/2"; when names share the value, as B = K, all are listed: "factor B = K = 3";
B = 5 is "factor B = 5"; "transposed" when the candidate is ref^T (with a factor if any); "wrong
shape (got ..., expected ...)" (the table says it once, in the row's reason); in a float64 check,
"float32 rounding" when every trial is within the float32 bound above; otherwise "no simple
pattern".  A factor needs at least two nonzero reference entries over the trials.
When all four gradients show the same factor, the loss was scaled, and ``report.convention``
names the loss they are the gradients of, when it is c times the mean over all B*K entries, the
sum, (the sum over outputs, the mean over the batch) or (the mean over outputs, the sum over the
batch), c = 1, 1/2, -1, -1/2: "your gradients are of ½·mean".  An exception in the candidate
shows where it was raised in the candidate's own code: file, line and source line.

``python -m hw1.gradcheck mlp.py`` checks course-style files (``hw1.mlpcheck``)."""

from __future__ import annotations

import math
import sysconfig
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from hw1 import activations, losses
from hw1._validate import choice, describe, is_torch_tensor, positive_float, positive_int, torch_to_numpy
from hw1._validate import seed as _seed
from hw1.engine.claims import rel_err
from hw1.net import MAX_PARAMS, PARAM_NAMES, TwoLayerNet

KINK_MARGIN = 1e-3
# central differences: truncation error ~ eps^2, rounding error ~ machine epsilon / eps;
# they balance at eps ~ machine epsilon^(1/3), about 6e-6 in float64
FD_EPS = float(np.finfo(np.float64).eps ** (1 / 3))
RTOL_AUTOGRAD = 1e-10
RTOL_FD = 1e-6
U32 = 2.0 ** -24       # float32 unit roundoff
ACT_ULPS = 8           # relative error, in units of U32, of a float32 sigmoid or tanh
SAFETY = 2             # float32 tolerance = SAFETY * first-order rounding-error bound
TENSORS = ("numpy", "torch")
REDUCTIONS = (None, "mean", "sum")


@dataclass
class ParamCheck:
    name: str
    shape: tuple
    shape_ok: bool | None = None   # None: the candidate never gave this gradient
    err_autograd: float = 0.0
    err_fd: float = 0.0
    reason: str = ""
    compared: int = 0              # trials in which this gradient was compared
    rtol_autograd: float | None = None   # this gradient's tolerances, the largest over the trials
    rtol_fd: float | None = None
    worst_autograd: float = 0.0    # max over the trials of err / that trial's tolerance
    worst_fd: float = 0.0
    diagnosis: str = ""            # what is wrong, when recognisable (see the module docstring)
    samples: list = field(default_factory=list, repr=False, compare=False)  # (candidate, autograd, tol)
    tol32: list = field(default_factory=list, repr=False, compare=False)    # float64 check: float32 bounds
    factor: float | None = None    # the diagnosis is this constant factor (a sign included)

    def ok(self, rtol_autograd: float | None = None, rtol_fd: float | None = None) -> bool:
        """Given a tolerance, the largest error is compared with it; without, every trial's error
        with that trial's own tolerance (the float32 bounds)."""
        fd = self.err_fd <= rtol_fd if rtol_fd is not None else self.worst_fd <= 1
        return self.compared > 0 and bool(self.shape_ok) and not self.reason and \
            self.matches_autograd(rtol_autograd) and fd

    def matches_autograd(self, rtol_autograd: float | None = None) -> bool:
        """The error against autograd within tolerance (as in ``ok``), whatever else is wrong."""
        if rtol_autograd is not None:
            return self.err_autograd <= rtol_autograd
        return self.worst_autograd <= 1


@dataclass
class GradientReport:
    """Truthy iff every gradient matches.  ``str(report)`` is a table."""

    f: str
    g: str
    loss: str
    trials: int
    rows: list[ParamCheck]
    rtol_autograd: float | None = RTOL_AUTOGRAD   # None: each row's own (derived float32) tolerance
    rtol_fd: float | None = RTOL_FD
    rejected_near_kink: int = 0
    problems: list[str] = field(default_factory=list)
    reduction: str | None = None
    tensors: str = "numpy"
    dtype: str = "float64"
    ran: int | None = None         # trials compared (fewer than ``trials`` when the candidate failed)
    notes: list[str] = field(default_factory=list)   # hints, not failures
    convention: str = ""           # every gradient off by one factor: the loss they are the gradients of

    def __bool__(self) -> bool:
        return not self.problems and all(r.ok(self.rtol_autograd, self.rtol_fd) for r in self.rows)

    @property
    def max_err_autograd(self) -> float:
        return max(r.err_autograd for r in self.rows)

    @property
    def max_err_fd(self) -> float:
        return max(r.err_fd for r in self.rows)

    @property
    def derived(self) -> bool:
        """True when some tolerance is each trial's float32 bound rather than one number."""
        return self.rtol_autograd is None or self.rtol_fd is None

    def _head(self) -> list[str]:
        what = f"f={self.f}, g={self.g}, loss={self.loss}"
        if self.reduction is not None:
            what += f", reduction={self.reduction}"
        if (self.tensors, self.dtype) != ("numpy", "float64"):
            what += f", {self.tensors} {self.dtype}" + (" tensors" if self.tensors == "torch" else " arrays")
        trials = f"{self.trials} trials" if self.ran in (None, self.trials) else \
            f"{self.ran} of {self.trials} trials compared"
        if not self.derived:
            return [f"gradient check: {what}, {trials}, tolerances {self.rtol_autograd:.0e} "
                    f"(autograd), {self.rtol_fd:.0e} (finite diff.)"]
        auto = "float32 rounding-error bound" if self.rtol_autograd is None else f"{self.rtol_autograd:.0e}"
        fd = f"tol + {RTOL_FD:.0e}" if self.rtol_fd is None else f"{self.rtol_fd:.0e}"
        return [f"gradient check: {what}, {trials}",
                f"  tol: vs autograd, the {auto} of each trial (u = 2^-24 = {U32:.1e}; largest shown);",
                f"  vs fin.diff {fd}; err/tol: the worst trial, vs autograd or fin.diff (see hw1.gradcheck)"]

    def verdict(self, r: ParamCheck) -> str:
        """The result column of row ``r``: 'ok', or 'FAIL: ' with the reason and the diagnosis."""
        if r.ok(self.rtol_autograd, self.rtol_fd):
            return "ok"
        if r.compared:
            verdict = "FAIL" + (f": {r.reason}" if r.reason else "")
        else:   # never compared: never "ok"
            verdict = "FAIL: " + (r.reason or "not compared: the candidate failed")
        if r.diagnosis and not (r.reason and r.diagnosis.startswith("wrong shape")):
            verdict += ("; " if r.reason else ": ") + r.diagnosis   # (a reason gives the shapes)
        return verdict

    @property
    def worst_ratio(self) -> float:
        """The largest error over its tolerance, of any gradient against autograd or finite
        differences (<= 1 for a match)."""
        return max((max(r.worst_autograd, r.worst_fd) for r in self.rows if r.compared), default=0.0)

    def __str__(self) -> str:
        lines = self._head()
        tol = f" {'tol':>8} {'err/tol':>8}" if self.derived else ""
        lines.append(f"  {'param':<6} {'shape':<9} {'shape ok':<9} {'vs autograd':>12} "
                     f"{'vs fin.diff':>12}{tol}  result")
        for r in self.rows:
            if r.compared:
                errors = f"{r.err_autograd:>12.2e} {r.err_fd:>12.2e}"
                if self.derived:
                    errors += f" {r.rtol_autograd:>8.1e} {max(r.worst_autograd, r.worst_fd):>8.2g}"
            else:   # never compared: no number to show
                errors = f"{'-':>12} {'-':>12}" + (f" {'-':>8} {'-':>8}" if self.derived else "")
            shape_ok = "-" if r.shape_ok is None else str(r.shape_ok)
            lines.append(f"  {r.name:<6} {str(r.shape):<9} {shape_ok:<9} {errors}  {self.verdict(r)}")
        lines += [f"  FAIL: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        if self.convention:
            ours = _reduction_name(self.loss, self.reduction)
            lines.append(f"  note: all four gradients show {self.rows[0].diagnosis}: your gradients are of "
                         f"{self.convention}, this check's are of {ours}")
        if self.rejected_near_kink:
            lines.append(f"  ({self.rejected_near_kink} point(s) redrawn: min |z1| < {KINK_MARGIN:g}, "
                         "too close to the ReLU kink)")
        lines.append("  => " + ("all gradients match" if self else "MISMATCH"))
        return "\n".join(lines)


def draw_problem(seed: int, f: str, g: str, loss: str, n: int, d: int, K: int, batch: int):
    """A seeded random problem (params, x, y) with x away from the kink of f; and how many
    points of x were redrawn for being too close to it."""
    rng = np.random.default_rng(_seed(seed))
    choice("loss", loss, losses.LOSSES)      # the name only: any loss's targets suit any g here
    n, d, K, batch = (positive_int(k, v) for k, v in (("n", n), ("d", d), ("K", K), ("batch", batch)))
    net = TwoLayerNet(n, d, K, f, g, seed=seed)
    if batch * (n + K) > MAX_PARAMS:
        raise ValueError(f"batch={batch} points of n={n} inputs and K={K} targets: "
                         f"more than {MAX_PARAMS} numbers")
    y = rng.uniform(0.0, 1.0, (batch, K)) if loss == "bce" else rng.normal(size=(batch, K))
    x = rng.normal(size=(batch, n))
    rejected = 0
    for _ in range(1000):
        z1 = x @ net.params["W1"].T + net.params["b1"]
        near = np.min(np.abs(z1), axis=1) < KINK_MARGIN if net.f.kink else np.zeros(batch, bool)
        if not near.any():
            return net.params, x, y, rejected
        rejected += int(near.sum())                     # redraw just those points
        x[near] = rng.normal(size=(int(near.sum()), n))
    raise ValueError(f"could not draw {batch} points with every |z1| >= {KINK_MARGIN:g} (seed {seed}); "
                     f"with d={d} hidden units some unit is almost always near its kink: use a smaller d")


# -- float32 tolerances ----------------------------------------------------------------------------
def _value_error(act: activations.Activation, z: np.ndarray, a: np.ndarray, E_z: np.ndarray) -> np.ndarray:
    """E of a = act(z) computed in float32 from z with error bound E_z (units of u)."""
    own = {"identity": 0, "relu": 0, "5relu": 1}.get(act.name, ACT_ULPS)
    return np.abs(act.deriv(z)) * E_z + own * np.abs(a)


def _deriv_error(act: activations.Activation, a: np.ndarray, E_a: np.ndarray) -> np.ndarray:
    """E of act'(z) computed from a = act(z) (error E_a); a ReLU mask is exact off the kink."""
    if act.name == "sigmoid":
        return E_a + 2.0 * np.abs(a * (1.0 - a))                   # a (1 - a)
    if act.name == "tanh":
        return 2.0 * np.abs(a) * E_a + a ** 2 + np.abs(1.0 - a ** 2)   # 1 - a^2
    return np.zeros_like(a)


def loss_scale(loss: str, reduction: str | None, B: int, K: int) -> float:
    """s in dl/dz3 = s 2 (y_hat - y) g'(z3) (mse) or s (y_hat - y) (bce): the reduction's weight
    of one entry (point i, output k)."""
    if reduction == "sum":
        return 1.0
    return 1.0 / B if (reduction is None and loss == "mse") else 1.0 / (B * K)


def float32_tolerances(params: dict, x, y, f: str, g: str, loss: str, reduction: str | None = None, *,
                       round_inputs: bool = False) -> tuple[dict[str, float], list[str]]:
    """For a problem whose values are float32 numbers (held in float64): the tolerance of each
    gradient's normwise relative error for a float32 computation (the bound of the module
    docstring), and the kinks that float32 rounding could cross (then no bound holds).
    ``round_inputs``: the values are float64 numbers that the computation first rounds to float32
    (each input then carries E = |input|: one more term in each sum it enters)."""
    e = 1 if round_inputs else 0
    fa, ga = activations.get(f), activations.get(g)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in PARAM_NAMES)
    (B, n), (d, K) = x.shape, (W1.shape[0], W2.shape[0])
    s = loss_scale(loss, reduction, B, K)
    # forward, with the error bound E of each layer's output (units of u)
    z1 = x @ W1.T + b1
    E_z1 = (n + 1 + 2 * e) * (np.abs(x) @ np.abs(W1).T + np.abs(b1))    # n products and a bias
    z2 = fa(z1)
    E_z2 = _value_error(fa, z1, z2, E_z1)                                 # f' carries E_z1, f rounds
    z3 = z2 @ W2.T + b2
    E_z3 = E_z2 @ np.abs(W2).T + (d + 1 + e) * (np.abs(z2) @ np.abs(W2).T + np.abs(b2))
    y_hat = ga(z3)
    E_yh = _value_error(ga, z3, y_hat, E_z3)
    r = y_hat - y
    E_r = E_yh + np.abs(r) + e * np.abs(y)                                # the subtraction rounds
    # backward: each gradient and its bound
    if loss == "mse":
        gp = ga.deriv(z3)
        dz3 = 2.0 * s * r * gp                                            # dl/dz3 = 2 s r g'(z3)
        E_dz3 = 2.0 * s * (E_r * np.abs(gp) + np.abs(r) * _deriv_error(ga, y_hat, E_yh)) + 4 * np.abs(dz3)
    else:
        dz3 = s * r                                                       # dl/dz3 = s (y_hat - y)
        E_dz3 = s * E_r + 8 * np.abs(dz3)
    dz2 = dz3 @ W2                                                        # dl/dz2 = dl/dz3 W2
    E_dz2 = E_dz3 @ np.abs(W2) + (K + e) * np.abs(dz3) @ np.abs(W2)
    fp = fa.deriv(z1)
    dz1 = dz2 * fp                                                        # dl/dz1 = dl/dz2 f'(z1)
    E_dz1 = E_dz2 * np.abs(fp) + np.abs(dz2) * _deriv_error(fa, z2, E_z2) + np.abs(dz1)
    grads = {"W1": dz1.T @ x, "b1": dz1.sum(axis=0), "W2": dz3.T @ z2, "b2": dz3.sum(axis=0)}
    bounds = {
        "W1": E_dz1.T @ np.abs(x) + (B + e) * np.abs(dz1).T @ np.abs(x),
        "b1": E_dz1.sum(axis=0) + B * np.abs(dz1).sum(axis=0),
        "W2": E_dz3.T @ np.abs(z2) + np.abs(dz3).T @ E_z2 + B * np.abs(dz3).T @ np.abs(z2),
        "b2": E_dz3.sum(axis=0) + B * np.abs(dz3).sum(axis=0),
    }
    tolerances = {}
    for k in PARAM_NAMES:
        worst, scale = float(np.max(bounds[k])), float(np.max(np.abs(grads[k])))
        # an exactly zero bound: every term is an exact 0, and so is the float32 result
        tolerances[k] = 0.0 if worst == 0.0 else (SAFETY * U32 * worst / scale if scale > 0 else math.inf)
    crossed = [f"z{i} = {a.name}'s input comes within float32 rounding of its kink at 0"
               for i, a, z, E in ((1, fa, z1, E_z1), (3, ga, z3, E_z3))
               if a.kink and np.any(np.abs(z) <= SAFETY * U32 * E)]
    return tolerances, crossed


# -- diagnosis -------------------------------------------------------------------------------------
FLOAT32_LEVEL = "float32 rounding (something is computed or stored in float32)"
CONSTANTS = (Fraction(2), Fraction(1, 2), Fraction(5), Fraction(1, 5))


def _sizes(B: int, K: int) -> list[tuple[str, str, Fraction]]:
    """(numerator, denominator, value) of B, K, B*K and their reciprocals."""
    return [("B", "", Fraction(B)), ("K", "", Fraction(K)), ("B*K", "", Fraction(B * K)),
            ("", "B", Fraction(1, B)), ("", "K", Fraction(1, K)), ("", "B*K", Fraction(1, B * K))]


def _product_name(c: Fraction, numerator: str, denominator: str) -> str:
    """c * numerator / denominator written as one fraction: K, 1/B, 2*K, K/2, 2/K, 1/(2*B*K), ..."""
    top = "*".join(t for t in (str(c.numerator) if c.numerator != 1 else "", numerator) if t) or "1"
    bottom = "*".join(t for t in (str(c.denominator) if c.denominator != 1 else "", denominator) if t)
    if not bottom:
        return top
    return f"{top}/({bottom})" if "*" in bottom else f"{top}/{bottom}"


def factor_names(B: int, K: int) -> list[list[tuple[str, Fraction]]]:
    """The factors a diagnosis names, as (name, exact value), in tiers tried in order: the sizes
    B, K, B*K and their reciprocals; the constants 2, 1/2, 5, 1/5 (named by their value alone,
    name ''); a constant times a size (2*K, K/2, 1/(2*B), 1/(2*B*K), 5*B, ...)."""
    sizes = [(_product_name(Fraction(1), top, bottom), v) for top, bottom, v in _sizes(B, K)]
    products = [(_product_name(c, top, bottom), c * v) for c in CONSTANTS for top, bottom, v in _sizes(B, K)]
    return [sizes, [("", c) for c in CONSTANTS], products]


def _name_factor(alpha: float, B: int, K: int, close: float) -> str:
    """'factor ...' for alpha > 0: the names of the first tier of ``factor_names`` with a value
    within ``close`` of alpha (all of that value, then the value: "factor B = K = 3", "factor
    K/2 = 3/2", "factor 5"); else alpha's digits."""
    for tier in factor_names(B, K):
        hits = [(name, v) for name, v in tier if v != 1 and abs(alpha / float(v) - 1) <= close]
        if hits:
            value = hits[0][1]
            return "factor " + " = ".join([*(name for name, v in hits if name and v == value), str(value)])
    digits = min(17, max(4, math.ceil(-math.log10(max(abs(alpha - 1), 1e-16))) + 2))   # show alpha != 1
    return f"factor {alpha:.{digits}g}"


def _factor(cands: list[np.ndarray], refs: list[np.ndarray]) -> tuple[float, list[float]] | None:
    """The least-squares alpha with cand ~ alpha ref over every entry of every trial, and each
    trial's rel_err(cand, alpha ref); None when fewer than 2 reference entries are nonzero."""
    if sum(np.count_nonzero(r) for r in refs) < 2:
        return None
    alpha = sum(float(np.vdot(c, r)) for c, r in zip(cands, refs, strict=True)) / \
        sum(float(np.vdot(r, r)) for r in refs)
    resid = [rel_err(c, alpha * r) for c, r in zip(cands, refs, strict=True)]
    return alpha, resid


def diagnose(trials: list[tuple[np.ndarray, np.ndarray, float]], expected: tuple, B: int, K: int,
             tol32: list[float | None] | None = None) -> str:
    """What is wrong with a failing gradient, from its (candidate, autograd, tolerance) of every
    trial (candidates of the expected shape or its transpose); see the module docstring.
    ``tol32``: in a float64 check, each trial's float32 rounding-error bound (None for a trial
    where none holds)."""
    return _diagnosis(trials, expected, B, K, tol32)[0]


def _diagnosis(trials, expected: tuple, B: int, K: int, tol32=None) -> tuple[str, float | None]:
    """``diagnose``'s text, and alpha when that is a constant factor (or a sign) of a gradient of
    the expected shape."""
    if not trials:
        return "", None
    cands, refs, tols = (list(t) for t in zip(*trials, strict=True))
    shapes = {c.shape for c in cands}
    transposed_shape = len(expected) == 2 and shapes == {expected[::-1]} and expected != expected[::-1]
    if shapes == {expected} and not any(np.any(c) for c in cands):
        return "all zeros", None
    if shapes == {expected}:
        mismatch = max(rel_err(c, r) for c, r in zip(cands, refs, strict=True))
        forms = [(False, cands)] + ([(True, [c.T for c in cands])] if len(expected) == 2 and
                                    expected == expected[::-1] else [])
    elif transposed_shape:
        mismatch, forms = math.inf, [(True, [c.T for c in cands])]
    else:
        got = cands[0].shape if len(shapes) == 1 else "shapes " + ", ".join(map(str, sorted(shapes)))
        return f"wrong shape (got {got}, expected {expected})", None
    for transposed, cs in forms:
        fit = _factor(cs, refs)
        if fit is None:
            continue
        alpha, resid = fit
        if not all(e <= t for e, t in zip(resid, tols, strict=True)) or max(resid) > mismatch / 10:
            continue
        close = min(4 * max(tols), 1e-3)
        if transposed and abs(alpha - 1) <= close:
            return "transposed", None
        sign = "opposite sign" if alpha < 0 else ""
        # a size of 1 is no news after "transposed" or "opposite sign"; alone, print its digits
        size = "" if (sign or transposed) and abs(abs(alpha) - 1) <= close else \
            _name_factor(abs(alpha), B, K, close)
        words = " and ".join(w for w in (sign, size) if w)
        return (f"transposed and {words}", None) if transposed else (words, alpha)
    if transposed_shape:
        return f"wrong shape (got {cands[0].shape}, expected {expected})", None
    if tol32 and shapes == {expected} and all(t is not None and rel_err(c, r) <= t
                                              for c, r, t in zip(cands, refs, tol32, strict=True)):
        return FLOAT32_LEVEL, None
    return "no simple pattern", None


def _convention_names(scale: float, loss: str, B: int, K: int) -> list[str]:
    """The loss conventions whose weight of one entry (point, output) is ``scale``: c times the
    mean, the sum, (the sum over outputs, the mean over the batch) or (the mean over outputs, the
    sum over the batch), for c = 1, 1/2, -1, -1/2; with c = 1, the reduction that checks it."""
    bases = [(1 / (B * K), "mean", "reduction='mean'"),
             (1 / B, "sum over outputs, mean over batch", "reduction=None" if loss == "mse" else ""),
             (1.0, "sum", "reduction='sum'"),
             (1 / K, "mean over outputs, sum over batch", "")]
    names = []
    for c, prefix in ((1, ""), (0.5, "½·"), (-1, "−"), (-0.5, "−½·")):
        for weight, name, reduction in bases:
            if abs(scale / (c * weight) - 1) <= 1e-3:
                names.append(prefix + (f"({name})" if prefix and "," in name else name) +
                             (f" ({reduction})" if reduction and c == 1 else ""))
    return names


def _convention(rows: list[ParamCheck], loss: str, reduction: str | None, B: int, K: int) -> str:
    """When every gradient is off by the same factor (the loss was scaled), the loss convention the
    candidate's gradients follow (``_convention_names``); else ''."""
    if any(r.factor is None for r in rows) or len({r.diagnosis for r in rows}) != 1:
        return ""
    return " = ".join(_convention_names(rows[0].factor * loss_scale(loss, reduction, B, K), loss, B, K))


def _reduction_name(loss: str, reduction: str | None) -> str:
    """The convention of a reduction, named as in ``_convention_names``."""
    return "sum over outputs, mean over batch" if reduction is None and loss == "mse" else reduction or "mean"


def _raised_in(exc: BaseException) -> str:
    """Where ``exc`` was raised in the candidate's own code: the innermost frame of its traceback
    outside hw1, the standard library and the installed packages, as '\n        in FILE, line N:
    SOURCE LINE'; '' when there is none."""
    skip = [Path(__file__).resolve().parent] + \
        [Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.startswith("<"):
            path = Path(frame.filename).resolve()
            if any(path.is_relative_to(d) for d in skip):
                continue
        source = f": {frame.line.strip()}" if frame.line else ""
        return f"\n        in {frame.filename}, line {frame.lineno}{source}"
    return ""


# -- the check -------------------------------------------------------------------------------------
def _float_dtype(dtype) -> str:
    """'float32' or 'float64' from None, a torch or numpy float dtype or its name."""
    import torch

    if dtype is None:
        return "float64"
    if isinstance(dtype, torch.dtype):
        name = {torch.float32: "float32", torch.float64: "float64"}.get(dtype)
    else:
        try:
            name = str(np.dtype(dtype))
        except (TypeError, ValueError):
            name = None
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64 (torch.float32, numpy.float32 or 'float32'; "
                         f"None means float64), got {describe(dtype)}")
    return name


def _candidate_args(params: dict, x: np.ndarray, y: np.ndarray, tensors: str, dtype: str):
    """Fresh copies of the problem for the candidate, as it asked for them."""
    if tensors == "numpy":
        return {k: v.astype(dtype) for k, v in params.items()}, x.astype(dtype), y.astype(dtype)
    import torch

    t = getattr(torch, dtype)
    return ({k: torch.tensor(v, dtype=t) for k, v in params.items()},
            torch.tensor(x, dtype=t), torch.tensor(y, dtype=t))


def _in_float32(value) -> bool:
    """Whether a gradient the candidate returned holds float32 numbers (a torch tensor or an array)."""
    return "float32" in str(getattr(value, "dtype", ""))


def _check_candidate_output(grads, params, row_of, tensors: str = "numpy"
                            ) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Problems with the candidate's result as a whole, its gradients as float64 arrays (the
    reason for a bad gradient goes on its row), and those whose shape is the transpose."""
    if not isinstance(grads, dict):
        return [f"candidate returned {describe(grads)}, expected a dict with keys {list(PARAM_NAMES)}"], \
            {}, {}
    problems, arrays, transposed = [], {}, {}
    for k in PARAM_NAMES:
        row = row_of[k]
        if k not in grads:
            row.reason = "missing from the candidate's result"
            continue
        try:
            value = grads[k]
            if tensors == "torch" and is_torch_tensor(value):   # requires grad, float32, on a GPU: read it
                if value.is_complex():
                    raise TypeError("a complex tensor")
                value = torch_to_numpy(value)
            arr = np.asarray(value, dtype=np.float64)
        except Exception as exc:  # e.g. a torch tensor that requires grad raises RuntimeError
            row.reason = f"not a float array: {describe(grads[k])} ({type(exc).__name__})"
            continue
        row.shape_ok = row.shape_ok is not False and arr.shape == params[k].shape
        if arr.shape != params[k].shape:
            row.reason = f"shape {arr.shape}, expected {params[k].shape}"
            if arr.shape == params[k].shape[::-1] and np.all(np.isfinite(arr)):
                transposed[k] = arr
        elif not np.all(np.isfinite(arr)):
            row.reason = "contains NaN or inf"
        arrays[k] = arr
    extra = sorted(set(grads) - set(PARAM_NAMES), key=str)
    if extra:
        problems.append(f"unexpected key(s) {extra}")
    return problems, arrays, transposed


def verify_gradients(candidate: Callable[[dict, np.ndarray, np.ndarray], dict], *,
                     f: str = "5relu", g: str = "identity", loss: str = "mse",
                     n: int = 4, d: int = 5, K: int = 3, batch: int = 8,
                     seeds: Iterable[int] = range(5),
                     rtol_autograd: float | None = None, rtol_fd: float | None = None,
                     tensors: str = "numpy", dtype=None, reduction: str | None = None) -> GradientReport:
    """Check ``candidate(params, x, y) -> {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``.

    ``params`` holds W1 (d, n), b1 (d,), W2 (K, d), b2 (K,); x is (batch, n), y is (batch, K).
    Each gradient is compared with torch autograd and with central finite differences
    (eps = FD_EPS, about 6e-6), both in float64, over the seeded trials.

    - ``tensors``: "numpy" (default) hands the candidate numpy arrays; "torch" hands it torch
      tensors (CPU, not requiring grad).  Either way it may return numpy arrays, lists or torch
      tensors; with "torch", tensors that require grad, live on another device or are float32
      are read as they are (detached, on the CPU, in float64).
    - ``dtype``: None or float64 (default), or float32 -- as torch.float32, numpy.float32 or the
      string "float32".  In float32 the candidate gets the problem rounded to float32, the
      references are computed in float64 from the same rounded values, and each gradient's
      tolerance is derived from float32 rounding (see the module docstring); the report shows it.
    - ``reduction``: how the batch's losses are combined, and so what the gradients are of.
      None (default) is the homework's convention: per point ||y_hat - y||^2 (mse) or the mean
      over the K outputs of the cross-entropy (bce), then the mean over the batch.  "mean" and
      "sum" are torch.nn.functional.mse_loss's and binary_cross_entropy's: the mean, or the sum,
      over all batch * K entries.  (For bce, None and "mean" are the same.)
    - ``rtol_autograd``, ``rtol_fd``: the tolerances of the normwise relative error; by default
      RTOL_AUTOGRAD (1e-10) and RTOL_FD (1e-6) in float64, and the derived bounds in float32.

    A failing gradient gets a diagnosis when its mismatch is recognisable (``row.diagnosis``,
    also in ``str(report)``).  The check never raises on a broken candidate: it reports."""
    from hw1 import reference  # torch loads here, on first use

    if not callable(candidate):
        raise ValueError(f"candidate must be callable as candidate(params, x, y), got {describe(candidate)}")
    activations.get(f, argument="f")
    activations.get(g, argument="g")
    losses.get(loss, g)
    n, d, K, batch = (positive_int(k, v) for k, v in (("n", n), ("d", d), ("K", K), ("batch", batch)))
    try:
        seeds = list(seeds)
    except TypeError:
        raise ValueError(f"seeds must be an iterable of integers, e.g. range(5), "
                         f"got {describe(seeds)}") from None
    if not seeds:
        raise ValueError("seeds is empty; expected at least one seed, e.g. range(5)")
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0]
    if bad:
        raise ValueError(f"seeds must be non-negative integers, got {bad[0]!r} ({type(bad[0]).__name__})")
    if not isinstance(tensors, str) or tensors not in TENSORS:
        raise ValueError(f"tensors must be 'numpy' or 'torch' (what the candidate gets), "
                         f"got {describe(tensors)}")
    dtype = _float_dtype(dtype)
    if not (reduction is None or (isinstance(reduction, str) and reduction in REDUCTIONS)):
        raise ValueError(f"reduction must be None (the homework's convention), 'mean' or 'sum' "
                         f"(as in torch.nn.functional.mse_loss), got {describe(reduction)}")
    float32 = dtype == "float32"
    if rtol_autograd is not None:
        rtol_autograd = positive_float("rtol_autograd", rtol_autograd)
    elif not float32:
        rtol_autograd = RTOL_AUTOGRAD
    if rtol_fd is not None:
        rtol_fd = positive_float("rtol_fd", rtol_fd)
    elif not float32:
        rtol_fd = RTOL_FD

    shapes = {"W1": (d, n), "b1": (d,), "W2": (K, d), "b2": (K,)}
    rows = {k: ParamCheck(k, shapes[k]) for k in PARAM_NAMES}
    report = GradientReport(f, g, loss, len(seeds), list(rows.values()), rtol_autograd, rtol_fd,
                            reduction=reduction, tensors=tensors, dtype=dtype)
    got_shape = {}   # the last wrong shape of each gradient
    returned_float32 = False
    report.ran = 0
    for seed in seeds:
        params, x, y, rejected = draw_problem(seed, f, g, loss, n, d, K, batch)
        if float32:   # the problem as float32 numbers; the references see exactly these
            params = {k: v.astype(np.float32).astype(np.float64) for k, v in params.items()}
            x, y = (a.astype(np.float32).astype(np.float64) for a in (x, y))
        report.rejected_near_kink += rejected
        try:
            grads = candidate(*_candidate_args(params, x, y, tensors, dtype))
        except Exception as exc:  # the checker reports, never raises, on a broken candidate
            report.problems.append(f"seed {seed}: candidate raised {type(exc).__name__}: {exc}"
                                   + _raised_in(exc))
            break
        returned_float32 |= isinstance(grads, dict) and any(_in_float32(v) for v in grads.values())
        problems, grads, transposed = _check_candidate_output(grads, params, rows, tensors)
        got_shape.update({k: a.shape for k, a in grads.items() if a.shape != shapes[k]})
        report.problems += problems
        usable = {k: row for k, row in rows.items() if k in grads and not row.reason}
        if report.problems or not (usable or transposed):
            break
        tol32 = {}
        if float32:
            tol32, crossed = float32_tolerances(params, x, y, f, g, loss, reduction)
            report.problems += [f"seed {seed}: {c}: no float32 bound holds there" for c in crossed]
        else:   # to tell a float32-level mismatch (see the module docstring); none past a kink
            tol32, crossed = float32_tolerances(params, x, y, f, g, loss, reduction, round_inputs=True)
            tol32 = {k: None for k in tol32} if crossed else tol32
        with reference.single_thread():
            auto = reference.autograd_gradients(params, x, y, f, g, loss, reduction)
            fd = reference.finite_difference_gradients(params, x, y, f, g, loss, eps=FD_EPS,
                                                       reduction=reduction) if usable else {}
        for k, row in rows.items():
            tol_auto = rtol_autograd if rtol_autograd is not None else tol32[k]
            tol_fd = rtol_fd if rtol_fd is not None else tol32[k] + RTOL_FD
            if k in transposed:   # kept only to tell whether it is the transpose
                row.samples.append((transposed[k], auto[k], tol_auto))
                row.tol32.append(None)
            if k not in usable:   # an unusable gradient does not hide the others' errors
                continue
            err_auto, err_fd = rel_err(grads[k], auto[k]), rel_err(grads[k], fd[k])
            row.err_autograd = max(row.err_autograd, err_auto)
            row.err_fd = max(row.err_fd, err_fd)
            row.rtol_autograd = max(row.rtol_autograd or 0.0, tol_auto)
            row.rtol_fd = max(row.rtol_fd or 0.0, tol_fd)
            row.worst_autograd = max(row.worst_autograd, _ratio(err_auto, tol_auto))
            row.worst_fd = max(row.worst_fd, _ratio(err_fd, tol_fd))
            row.compared += 1
            row.samples.append((grads[k], auto[k], tol_auto))
            row.tol32.append(None if float32 else tol32[k])
        report.ran += 1
    for row in rows.values():   # a diagnosis of a mismatch with autograd (other faults have a reason)
        mismatch = row.compared and not row.reason and not row.matches_autograd(report.rtol_autograd)
        if row.shape_ok is False and not row.samples:
            row.diagnosis = f"wrong shape (got {got_shape[row.name]}, expected {row.shape})"
        elif row.shape_ok is False or mismatch:
            row.diagnosis, row.factor = _diagnosis(row.samples, row.shape, batch, K, row.tol32)
    report.convention = _convention(report.rows, loss, reduction, batch, K)
    if returned_float32 and not float32 and not report:
        report.notes.append("the candidate returned float32 gradients, checked here against float64 "
                            "tolerances; to check a float32 computation, pass dtype=torch.float32 "
                            "(or 'float32')")
    return report


def _ratio(err: float, tol: float) -> float:
    return err / tol if tol > 0 else (0.0 if err == 0 else math.inf)


if __name__ == "__main__":   # python -m hw1.gradcheck mlp.py ...: checks course-style files (hw1.mlpcheck)
    from hw1.mlpcheck import main

    raise SystemExit(main())
