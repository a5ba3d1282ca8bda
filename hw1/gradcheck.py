"""``verify_gradients``: check a candidate gradient function against torch autograd and
central finite differences on seeded random problems.

Error measure, per parameter: the normwise relative error
    rel_err(a, b) = max|a - b| / max(max|a|, max|b|)     (0 when both are 0),
maximised over the trials.  For ReLU-type f, check points are drawn away from the kink at 0
(min |z1| >= KINK_MARGIN, far above the finite-difference step), and the report says how many
points were redrawn for being too close."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from hw1 import activations, losses
from hw1._validate import choice, describe, positive_float, positive_int
from hw1._validate import seed as _seed
from hw1.net import MAX_PARAMS, PARAM_NAMES, TwoLayerNet

KINK_MARGIN = 1e-3
# central differences: truncation error ~ eps^2, rounding error ~ machine epsilon / eps;
# they balance at eps ~ machine epsilon^(1/3), about 6e-6 in float64
FD_EPS = float(np.finfo(np.float64).eps ** (1 / 3))
RTOL_AUTOGRAD = 1e-10
RTOL_FD = 1e-6


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return 0.0 if scale == 0.0 else float(np.max(np.abs(a - b)) / scale)


@dataclass
class ParamCheck:
    name: str
    shape: tuple
    shape_ok: bool | None = None   # None: the candidate never gave this gradient
    err_autograd: float = 0.0
    err_fd: float = 0.0
    reason: str = ""
    compared: int = 0              # trials in which this gradient was compared

    def ok(self, rtol_autograd: float, rtol_fd: float) -> bool:
        return (self.compared > 0 and bool(self.shape_ok) and not self.reason
                and self.err_autograd <= rtol_autograd and self.err_fd <= rtol_fd)


@dataclass
class GradientReport:
    """Truthy iff every gradient matches.  ``str(report)`` is a table."""

    f: str
    g: str
    loss: str
    trials: int
    rows: list[ParamCheck]
    rtol_autograd: float = RTOL_AUTOGRAD
    rtol_fd: float = RTOL_FD
    rejected_near_kink: int = 0
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return not self.problems and all(r.ok(self.rtol_autograd, self.rtol_fd) for r in self.rows)

    @property
    def max_err_autograd(self) -> float:
        return max(r.err_autograd for r in self.rows)

    @property
    def max_err_fd(self) -> float:
        return max(r.err_fd for r in self.rows)

    def __str__(self) -> str:
        head = (f"gradient check: f={self.f}, g={self.g}, loss={self.loss}, {self.trials} trials, "
                f"tolerances {self.rtol_autograd:.0e} (autograd), {self.rtol_fd:.0e} (finite diff.)")
        lines = [head, f"  {'param':<6} {'shape':<9} {'shape ok':<9} {'vs autograd':>12} "
                       f"{'vs fin.diff':>12}  result"]
        for r in self.rows:
            ok = r.ok(self.rtol_autograd, self.rtol_fd)
            if r.compared:
                errors = f"{r.err_autograd:>12.2e} {r.err_fd:>12.2e}"
                verdict = "ok" if ok else "FAIL" + (f": {r.reason}" if r.reason else "")
            else:   # never compared: no number to show, and never "ok"
                errors = f"{'-':>12} {'-':>12}"
                verdict = "FAIL: " + (r.reason or "not compared: the candidate failed")
            shape_ok = "-" if r.shape_ok is None else str(r.shape_ok)
            lines.append(f"  {r.name:<6} {str(r.shape):<9} {shape_ok:<9} {errors}  {verdict}")
        lines += [f"  FAIL: {p}" for p in self.problems]
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


def _check_candidate_output(grads, params, row_of) -> tuple[list[str], dict[str, np.ndarray]]:
    """Problems with the candidate's result as a whole, and its gradients as float64 arrays
    (the reason for a bad gradient goes on its row)."""
    if not isinstance(grads, dict):
        return [f"candidate returned {describe(grads)}, expected a dict with keys {list(PARAM_NAMES)}"], {}
    problems, arrays = [], {}
    for k in PARAM_NAMES:
        row = row_of[k]
        if k not in grads:
            row.reason = "missing from the candidate's result"
            continue
        try:
            arr = np.asarray(grads[k], dtype=np.float64)
        except Exception as exc:  # e.g. a torch tensor that requires grad raises RuntimeError
            row.reason = f"not a float array: {describe(grads[k])} ({type(exc).__name__})"
            continue
        row.shape_ok = row.shape_ok is not False and arr.shape == params[k].shape
        if arr.shape != params[k].shape:
            row.reason = f"shape {arr.shape}, expected {params[k].shape}"
        elif not np.all(np.isfinite(arr)):
            row.reason = "contains NaN or inf"
        arrays[k] = arr
    extra = sorted(set(grads) - set(PARAM_NAMES), key=str)
    if extra:
        problems.append(f"unexpected key(s) {extra}")
    return problems, arrays


def verify_gradients(candidate: Callable[[dict, np.ndarray, np.ndarray], dict], *,
                     f: str = "5relu", g: str = "identity", loss: str = "mse",
                     n: int = 4, d: int = 5, K: int = 3, batch: int = 8,
                     seeds: Iterable[int] = range(5),
                     rtol_autograd: float = RTOL_AUTOGRAD, rtol_fd: float = RTOL_FD) -> GradientReport:
    """Check ``candidate(params, x, y) -> {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}``.

    ``params`` holds W1 (d, n), b1 (d,), W2 (K, d), b2 (K,); x is (batch, n), y is (batch, K);
    the gradients are of the batch-mean loss.  Each is compared with torch autograd and with
    central finite differences (eps = FD_EPS, about 6e-6), both in float64, over the seeded
    trials."""
    from hw1 import reference  # torch loads here, on first use

    if not callable(candidate):
        raise ValueError(f"candidate must be callable as candidate(params, x, y), got {describe(candidate)}")
    activations.get(f, argument="f")
    activations.get(g, argument="g")
    losses.get(loss, g)
    n, d, K, batch = (positive_int(k, v) for k, v in (("n", n), ("d", d), ("K", K), ("batch", batch)))
    rtol_autograd = positive_float("rtol_autograd", rtol_autograd)
    rtol_fd = positive_float("rtol_fd", rtol_fd)
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
    shapes = {"W1": (d, n), "b1": (d,), "W2": (K, d), "b2": (K,)}
    rows = {k: ParamCheck(k, shapes[k]) for k in PARAM_NAMES}
    report = GradientReport(f, g, loss, len(seeds), list(rows.values()), rtol_autograd, rtol_fd)
    for seed in seeds:
        params, x, y, rejected = draw_problem(seed, f, g, loss, n, d, K, batch)
        report.rejected_near_kink += rejected
        try:
            grads = candidate({k: v.copy() for k, v in params.items()}, x.copy(), y.copy())
        except Exception as exc:  # the checker reports, never raises, on a broken candidate
            report.problems.append(f"seed {seed}: candidate raised {type(exc).__name__}: {exc}")
            break
        problems, grads = _check_candidate_output(grads, params, rows)
        report.problems += problems
        usable = {k: row for k, row in rows.items() if k in grads and not row.reason}
        if report.problems or not usable:
            break
        with reference.single_thread():
            auto = reference.autograd_gradients(params, x, y, f, g, loss)
            fd = reference.finite_difference_gradients(params, x, y, f, g, loss, eps=FD_EPS)
        for k, row in usable.items():   # an unusable gradient does not hide the others' errors
            row.err_autograd = max(row.err_autograd, rel_err(grads[k], auto[k]))
            row.err_fd = max(row.err_fd, rel_err(grads[k], fd[k]))
            row.compared += 1
    return report
