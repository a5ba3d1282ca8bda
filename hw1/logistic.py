"""Logistic regression without bias on (non-)separable data: the homework's Problem 2.

Conventions: X has one point per row, shape (n, d); labels y_i are -1 or +1; w has shape (d,).
The margins of w are m_i = y_i w^T x_i, and the loss is the logistic negative log-likelihood

    L(w) = sum_i log(1 + exp(-m_i)).

On separable data L has no minimiser: along a separating direction w, L(c w) decreases strictly
toward 0 as c -> infinity.  Gradient descent from w = 0 then follows Soudry, Hoffer, Nacson,
Gunasekar, Srebro, "The Implicit Bias of Gradient Descent on Separable Data" (JMLR 2018),
Theorem 3: w(t) = w_hat log t + rho(t), w_hat the hard-margin SVM solution and rho bounded, so
||w(t)|| grows like ||w_hat|| log t, the direction tends to w_hat/||w_hat||, and the loss decays
like 1/t (t L(w(t)) -> ||w_hat||^2 / lr, the dual optimum sum_i alpha_i over the step size).

Scale: the max-margin direction and separability do not depend on the scale of X
(max_margin(c X, y) = max_margin(X, y) / c), but the solvers' tolerances are absolute; so they
see X divided by the power of 2 nearest above its largest entry (an exact division), and the
answer is scaled back.

Numerics: log(1 + exp(-m)) is ``np.logaddexp(0, -m)`` (0 + log1p(exp(-m)) for m > 0: no
overflow at any margin, and relative accuracy down to exp(-m) ~ 1e-308, i.e. m ~ 708; below that
the value is subnormal and reaches 0 at m ~ 745).  The sigmoid is evaluated from exp(-|z|) only.

scipy (linear programs, SLSQP, NNLS, the minimiser) and numba (the gradient-descent loop) are
imported inside the functions that use them, so ``import hw1.logistic`` loads numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from hw1._validate import choice, describe, float_array, pair, positive_float, positive_int, real_numbers
from hw1._validate import seed as _seed
from hw1.activations import sigmoid  # from exp(-|z|): never overflows

# Soudry et al.'s Figure 1: two support vectors per class; w_hat = (1/2, 1/2), margin 1.
FIGURE1_SUPPORT = np.array([[0.5, 1.5], [1.5, 0.5]])
FIGURE1_W_HAT = np.array([0.5, 0.5])
MONOTONE_FROM = 100   # the implicit-bias experiment checks that the angle to w_hat falls from here on
# at most 2**53 steps: every step count is then exact as a float64 (log_checkpoints, t L(w_t)),
# and numba's int64 loop counter cannot wrap (2**63 steps wrapped to none at all, silently)
MAX_STEPS = 2**53
MAX_POINTS = 10**7    # the data generators make data sets for plots, not for benchmarks


# -- validation ---------------------------------------------------------------------------------
def _data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as a float64 (n, d) array and y as a float64 (n,) array of labels -1/+1."""
    X = float_array("X", X, shapes=[(None, None)], expected="a 2-D array (n, d), one point per row")
    n = X.shape[0]
    y = float_array("y", y, shapes=[(n,)], expected=f"({n},), one label per row of X")
    bad = np.unique(y[np.abs(y) != 1.0])
    if bad.size:
        raise ValueError(f"y must contain only the labels -1 and +1, got {bad[:5].tolist()}"
                         + (f" and {bad.size - 5} other value(s)" if bad.size > 5 else ""))
    return X, y


def _weights(w, d: int) -> np.ndarray:
    return float_array("w", w, shapes=[(d,)], expected=f"({d},), one weight per column of X")


def _finite(name: str, value) -> np.ndarray:
    """Any-shape float64 array of finite numbers (a scalar gives a 0-d array)."""
    real = real_numbers(name, value)          # raises for complex
    try:
        if not real:
            raise TypeError
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {describe(value)}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got non-finite value(s) in {describe(value)}")
    return arr


def _checkpoints(checkpoints, steps: int) -> np.ndarray:
    """Sorted unique int64 step counts, each in [0, steps]."""
    try:
        t = np.asarray(checkpoints if isinstance(checkpoints, np.ndarray) else list(checkpoints))
    except (TypeError, ValueError):                          # not iterable, or ragged
        got = describe(checkpoints)
        raise ValueError(f"checkpoints must be an iterable of step counts, got {got}") from None
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"checkpoints must be a non-empty 1-D list of step counts, got shape {t.shape}")
    if t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t)):
        t = t.astype(np.int64)
    if t.dtype.kind not in "iu":
        raise ValueError(f"checkpoints must be integer step counts, got dtype {t.dtype}")
    if t.min() < 0 or t.max() > steps:
        raise ValueError(f"checkpoints must lie in [0, steps] = [0, {steps}], "
                         f"got values in [{t.min()}, {t.max()}]")
    return np.unique(t.astype(np.int64))


def _steps(steps) -> int:
    return positive_int("steps", steps, at_most=MAX_STEPS, limit="2**53")


def _scale(Z: np.ndarray) -> float:
    """The power of 2 at or just above max |Z_ij| (1 for Z = 0): Z / _scale(Z) is exact and has
    its largest entry in [1/2, 1)."""
    return float(np.ldexp(1.0, np.frexp(np.max(np.abs(Z)))[1]))


def _unscale(w: np.ndarray, scale: float, what: str) -> np.ndarray:
    """w_hat of the data Z / scale, scaled back to w_hat of Z: divided by scale (exact, unless it
    overflows, which is an error, not an inf)."""
    with np.errstate(over="ignore"):
        out = w / scale
    if not np.all(np.isfinite(out)):
        norm = np.linalg.norm(w)
        raise ValueError(f"{what}: w_hat overflows: ||w_hat|| = {norm:.3g} / {scale:.3g} exceeds the largest "
                         f"float, 1.8e308 (the data are too small: max |x_ij| < {scale:.3g})")
    return out


# -- loss, its derivative along a ray -----------------------------------------------------------
def margins(w, X, y) -> np.ndarray:
    """m_i = y_i w^T x_i, shape (n,)."""
    X, y = _data(X, y)
    return y * (X @ _weights(w, X.shape[1]))


def loss(w, X, y) -> float:
    """L(w) = sum_i log(1 + exp(-y_i w^T x_i))."""
    m = margins(w, X, y)
    return float(np.sum(np.logaddexp(0.0, -m)))   # log(1 + e^{-m}) without overflow


def _on_ray(c, w, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = margins(w, X, y)
    c = _finite("c", c)
    with np.errstate(over="ignore"):             # c m_i = +-inf only past 1e308: L's limit is right
        cm = c[..., None] * m                    # margins of c w: c m_i, shape c.shape + (n,)
    return c, m, cm


def loss_along_ray(c, w, X, y):
    """L(c w) for every entry of c (any shape; a scalar c gives a float)."""
    c, _, cm = _on_ray(c, w, X, y)
    with np.errstate(over="ignore"):                  # a sum beyond 1.8e308 is inf, as it should be
        value = np.sum(np.logaddexp(0.0, -cm), axis=-1)   # sum_i log(1 + e^{-c m_i})
    return float(value) if c.ndim == 0 else value


def dloss_dc(c, w, X, y):
    """d/dc L(c w) = sum_i -m_i / (1 + exp(c m_i)) for every entry of c (a scalar gives a float)."""
    c, m, cm = _on_ray(c, w, X, y)
    value = np.sum(-m * sigmoid(-cm), axis=-1)   # 1/(1 + e^{c m}) = sigma(-c m)
    return float(value) if c.ndim == 0 else value


def gradient(w, X, y) -> np.ndarray:
    """grad L(w) = sum_i -y_i x_i sigma(-y_i w^T x_i), shape (d,)."""
    X, y = _data(X, y)
    m = y * (X @ _weights(w, X.shape[1]))
    return -(y * sigmoid(-m)) @ X


# -- separability, the max-margin direction, the finite minimiser ------------------------------
def _separating_lp(Z: np.ndarray):
    """max s subject to z_i^T w >= s for all rows z_i = y_i x_i, |w_j| <= 1, s <= 1."""
    from scipy.optimize import linprog

    n, d = Z.shape
    cost = np.zeros(d + 1)
    cost[-1] = -1.0                                          # maximise s
    A_ub = np.hstack([-Z, np.ones((n, 1))])                  # s - z_i^T w <= 0
    bounds = [(-1.0, 1.0)] * d + [(None, 1.0)]
    res = linprog(cost, A_ub=A_ub, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"the separability LP failed: {res.message}")
    return res.x[:d]


def is_separable(X, y) -> bool:
    """Is there a w (no bias) with y_i w^T x_i > 0 for every i?

    Decided by a linear program (maximise the smallest margin over the box |w_j| <= 1), whose
    answer is then checked directly: separable iff that w has every margin above 1e-12 max|x|.
    The LP sees X scaled to max |x_ij| in [1/2, 1): the answer does not depend on X's scale."""
    X, y = _data(X, y)
    Z = y[:, None] * X                                       # rows z_i = y_i x_i
    return _separable(Z / _scale(Z))


def _separable(Z: np.ndarray) -> bool:
    w = _separating_lp(Z)
    return bool(np.min(Z @ w) > 1e-12 * np.max(np.abs(Z)))


def _scaled_separable(X, y, what: str) -> tuple[np.ndarray, float]:
    """(Z / scale, scale) for rows z_i = y_i x_i, after checking the data are separable."""
    X, y = _data(X, y)
    Z = y[:, None] * X
    scale = _scale(Z)
    Z = Z / scale
    if not _separable(Z):
        raise ValueError(f"{what} needs linearly separable data (some w with y_i w^T x_i > 0 for all i, "
                         f"no bias); X {X.shape} and y are not separable")
    return Z, scale


def _polish(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Solve the KKT system on the active set {i: z_i^T w ~ 1}: the least-norm w with
    z_i^T w = 1 there.  Kept only if it is feasible and no longer than w."""
    active = Z @ w <= 1.0 + 1e-6
    w_kkt = np.linalg.lstsq(Z[active], np.ones(active.sum()), rcond=None)[0]   # min ||w||: Z_S w = 1
    feasible = np.min(Z @ w_kkt) >= 1.0 - 1e-12
    return w_kkt if feasible and w_kkt @ w_kkt <= w @ w * (1 + 1e-9) else w


def max_margin(X, y, *, method: str = "primal") -> np.ndarray:
    """The hard-margin SVM direction without bias: argmin ||w||^2 subject to y_i w^T x_i >= 1.

    ``method="primal"`` solves that QP with SLSQP and polishes on the active set;
    ``method="dual"`` is :func:`max_margin_dual`.  Raises ValueError for non-separable data.
    Solved for X scaled to max |x_ij| in [1/2, 1), then scaled back: max_margin(c X) = max_margin(X) / c."""
    if choice("method", method, ("primal", "dual")) == "dual":
        return max_margin_dual(X, y)
    Z, scale = _scaled_separable(X, y, "max_margin")
    from scipy.optimize import minimize

    w0 = _separating_lp(Z)
    w0 = w0 / np.min(Z @ w0)                                 # feasible start: min margin 1
    res = minimize(lambda w: 0.5 * w @ w, w0, jac=lambda w: w, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda w: Z @ w - 1.0, "jac": lambda w: Z}],
                   options={"ftol": 1e-15, "maxiter": 1000})
    w = _polish(Z, res.x)
    _check_kkt_margins(Z, w, "max_margin")
    return _unscale(w, scale, "max_margin")


def _check_kkt_margins(Z: np.ndarray, w: np.ndarray, what: str) -> None:
    """The optimum has every margin >= 1 and the smallest = 1: an answer off by more than 1e-9 is
    an error, not a result."""
    m = np.min(Z @ w) if np.all(np.isfinite(w)) else np.nan
    if not abs(m - 1.0) <= 1e-9:
        raise RuntimeError(f"{what} did not find the max-margin direction: its smallest margin is {m!r}, "
                           "not 1 (the data may be too close to non-separable for the solver)")


def max_margin_dual(X, y) -> np.ndarray:
    """The same w_hat from the dual, max_{alpha >= 0} sum_i alpha_i - 1/2 ||sum_i alpha_i y_i x_i||^2,
    solved exactly by Lawson and Hanson's least-distance programme (an NNLS, active-set method):
    u = argmin_{u >= 0} ||[Z^T; 1^T] u - e_{d+1}||, alpha = u / (1 - sum u), w = Z^T alpha."""
    from scipy.optimize import nnls

    Z, scale = _scaled_separable(X, y, "max_margin_dual")   # Z / scale: as for max_margin
    n, d = Z.shape
    E = np.vstack([Z.T, np.ones((1, n))])                    # (d+1, n)
    f = np.zeros(d + 1)
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=50 * n)
    # 1 - sum u = 1 / (1 + ||w||^2), w for the scaled Z: it loses digits as ||w_hat|| max|x_ij| grows,
    # all of them near 1e8 (a margin 1e-8 of the data's scale); then _check_kkt_margins raises
    alpha = u / (1.0 - u.sum())                              # the dual multipliers, alpha >= 0
    w = Z.T @ alpha                                          # w_hat = sum_i alpha_i y_i x_i
    _check_kkt_margins(Z, w, "max_margin_dual")
    return _unscale(w, scale, "max_margin_dual")


def _has_recession_direction(Z: np.ndarray) -> bool:
    """Is there w with z_i^T w >= 0 for all i and > 0 for some (then L(c w) decreases forever)?"""
    from scipy.optimize import linprog

    n, d = Z.shape
    Z = Z / _scale(Z)                                        # exact; the LP's tolerances are absolute
    res = linprog(-Z.sum(axis=0), A_ub=-Z, b_ub=np.zeros(n), bounds=[(-1.0, 1.0)] * d, method="highs")
    if res.status != 0:
        raise RuntimeError(f"the recession LP failed: {res.message}")
    return bool(-res.fun > 1e-9 * np.max(np.abs(Z)))


def minimizer(X, y) -> np.ndarray:
    """The finite minimiser of L on non-separable data: scipy's trust-exact (Newton with a trust
    region) from w = 0, then plain Newton steps while they shrink the gradient.

    Raises ValueError if the data are separable, or weakly separable (some w has every margin >= 0
    and one > 0), because then L has no minimiser; or if X has rank < d, because then L is constant
    along X's null space and the minimiser is not unique."""
    X, y = _data(X, y)
    Z = y[:, None] * X
    if _separable(Z / _scale(Z)):
        raise ValueError(f"minimizer needs non-separable data; X {X.shape} and y are linearly separable, "
                         "so L(w) has no minimiser (it tends to 0 along a separating direction)")
    if _has_recession_direction(Z):
        raise ValueError("minimizer: the data are weakly separable (some w has y_i w^T x_i >= 0 for all i "
                         "and > 0 for some), so L(w) decreases forever along it and has no minimiser")
    rank = int(np.linalg.matrix_rank(X))
    if rank < X.shape[1]:
        raise ValueError(f"minimizer: X {X.shape} has rank {rank} < {X.shape[1]}, so L(w) is constant along "
                         "the null space of X and its minimiser is not unique")
    from scipy.optimize import minimize

    def hess(w):
        s = sigmoid(Z @ w)
        return (Z.T * (s * (1.0 - s))) @ Z                   # sum_i sigma(m_i) sigma(-m_i) z_i z_i^T

    res = minimize(lambda w: loss(w, X, y), np.zeros(X.shape[1]), jac=lambda w: gradient(w, X, y),
                   hess=hess, method="trust-exact", options={"gtol": 1e-10})
    w, g = res.x, gradient(res.x, X, y)
    for _ in range(5):
        try:
            w_new = w - np.linalg.solve(hess(w), g)          # Newton: w <- w - H^-1 grad L
        except np.linalg.LinAlgError:                        # H singular in floats: keep trust-exact's w
            break
        g_new = gradient(w_new, X, y)
        if not np.linalg.norm(g_new) < np.linalg.norm(g):
            break
        w, g = w_new, g_new
    if not np.linalg.norm(g) <= 1e-8 * np.sum(np.linalg.norm(X, axis=1)):
        raise RuntimeError(f"minimizer did not converge: |grad L| = {np.linalg.norm(g):.2e}, {res.message}")
    return w


# -- datasets -----------------------------------------------------------------------------------
def soudry_figure1_data(seed: int = 0, n_random: int = 6, *,
                        margin_range: tuple[float, float] = (2.0, 3.0)) -> tuple[np.ndarray, np.ndarray]:
    """Soudry et al.'s Figure 1 setting: support vectors (0.5, 1.5), (1.5, 0.5) labelled +1 and
    their negatives labelled -1, plus ``n_random`` random points per class (6 in the paper) whose
    margin w_hat^T x_i under w_hat = (1/2, 1/2) is uniform in ``margin_range`` (the support vectors
    have margin 1; a range above 1 keeps the random points off the margin, so w_hat stays (1/2, 1/2)),
    and whose offset along (1, -1) is uniform in [-1, 1].

    Returns (X, y) with X of shape (4 + 2 n_random, 2), support vectors first."""
    seed = _seed(seed)
    n_random = positive_int("n_random", n_random, at_most=MAX_POINTS, limit="10**7")
    bounds = pair("margin_range", margin_range)
    lo, hi = (positive_float(f"margin_range[{k}]", v) for k, v in enumerate(bounds))
    if not 1.0 < lo <= hi:
        raise ValueError(f"margin_range must satisfy 1 < low <= high (the support vectors have margin 1), "
                         f"got {margin_range}")
    rng = np.random.default_rng(seed)
    along = rng.uniform(lo, hi, 2 * n_random)                # w_hat^T x = (x_1 + x_2)/2
    across = rng.uniform(-1.0, 1.0, 2 * n_random)            # (x_1 - x_2)/2
    pts = np.column_stack([along + across, along - across])  # x = along (1,1) + across (1,-1)
    X = np.vstack([FIGURE1_SUPPORT, -FIGURE1_SUPPORT, pts[:n_random], -pts[n_random:]])
    y = np.concatenate([[1.0, 1.0, -1.0, -1.0], np.ones(n_random), -np.ones(n_random)])
    return X, y


# the data generators' rejection loops are bounded: a request that would need more random draws
# than this (on average) is refused up front, with the largest request that can be met
# (MAX_DRAWS >= 10 MAX_POINTS: any n can be met at some gap)
MAX_ROUNDS, MAX_DRAWS = 10**4, 10**8


def separable_data(seed: int = 0, n: int = 40, *, gap: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """n 2-D points, two Gaussian clouds around +-(2, 1), kept only where y_i u^T x_i >= gap for
    the unit direction u = (2, 1)/sqrt(5): separable through the origin with margin >= gap.

    A drawn point's margin y u^T x is N(sqrt 5, 1), so a fraction p = P(N(sqrt 5, 1) >= gap) of the
    draws is kept; rounds of n draws are made until n points are kept.  A gap with 1/p > 10^4
    rounds or n/p > 10^8 draws expected is a ValueError (gap <= 5.9 is fine for n <= 10^4)."""
    seed = _seed(seed)
    n = positive_int("n", n, at_most=MAX_POINTS, limit="10**7")
    gap = positive_float("gap", gap)
    p = 0.5 * math.erfc((gap - math.sqrt(5.0)) / math.sqrt(2.0))    # P(N(sqrt 5, 1) >= gap)
    p_min = max(1.0 / MAX_ROUNDS, n / MAX_DRAWS)
    if p < p_min:
        largest = math.floor((math.sqrt(5.0) + NormalDist().inv_cdf(1.0 - p_min)) * 100) / 100
        draws = n / p if p else math.inf
        raise ValueError(f"separable_data: gap={gap} cannot be met with n={n}: a point's margin is "
                         f"N(sqrt 5, 1), so only a fraction {p:.2g} of the draws reach the gap, and {n} such "
                         f"points would take about {draws:.2g} draws; use gap <= {largest}")
    rng = np.random.default_rng(seed)
    u = np.array([2.0, 1.0]) / np.sqrt(5.0)
    X, y = np.empty((0, 2)), np.empty(0)
    rounds = math.ceil(40 / p)             # 1/p expected: 40/p fall short with probability < e^-30
    for _ in range(rounds):
        lab = rng.choice([-1.0, 1.0], size=n)
        pts = lab[:, None] * np.array([2.0, 1.0]) + rng.normal(size=(n, 2))
        keep = lab * (pts @ u) >= gap
        X, y = np.vstack([X, pts[keep]]), np.concatenate([y, lab[keep]])
        if len(y) >= n:
            return X[:n], y[:n]
    raise ValueError(f"separable_data: only {len(y)} of n={n} points reached gap={gap} in {rounds} rounds "
                     f"(seed {seed}); use a smaller gap or n")


def nonseparable_data(seed: int = 0, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """n 2-D points, overlapping Gaussian clouds around +-(1, 0.5) with unit spread, redrawn until
    L has a finite minimiser (no w has all margins >= 0).

    For the plot of L(c u) against c, use u = w*/||w*|| with w* = minimizer(X, y): then L(c u) has
    its interior minimum at c = ||w*||.  (Along any u with sum_i y_i u^T x_i > 0 the same holds
    with some interior minimum, since here every direction has a negative margin.)

    Needs n >= 3: in 2-D one or two points are always (weakly) separable through the origin.  A
    draw is accepted with probability about 0.08 for n = 3, 0.5 for n = 10, 0.99 for n = 40; after
    1000 rejected draws (for n = 3, probability < e^-80) it is a ValueError."""
    seed = _seed(seed)
    n = positive_int("n", n, at_most=MAX_POINTS, limit="10**7")
    if n < 3:
        raise ValueError(f"nonseparable_data needs n >= 3 points (in 2-D, one or two points are always "
                         f"(weakly) separable through the origin, so L would have no minimiser), got n={n}")
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        y = rng.choice([-1.0, 1.0], size=n)
        X = y[:, None] * np.array([1.0, 0.5]) + rng.normal(size=(n, 2))
        if not _has_recession_direction(y[:, None] * X):
            return X, y
    raise ValueError(f"nonseparable_data: 1000 draws of n={n} points were all (weakly) separable "
                     f"(seed {seed}); use a larger n")


# -- gradient descent ---------------------------------------------------------------------------
def _gd_loop(Z, lr, steps, t):
    """The gradient-descent loop on rows z_i = y_i x_i, written for numba: w <- w - lr grad L(w),
    grad L(w) = -sum_i z_i sigma(-z_i^T w); returns W, row k the iterate after step t[k]."""
    n, d = Z.shape
    W = np.zeros((t.size, d))
    w = np.zeros(d)
    g = np.zeros(d)
    k = 0
    while k < t.size and t[k] == 0:
        k += 1                                                 # W[k] = w = 0 already
    for step in range(1, steps + 1):
        for j in range(d):
            g[j] = 0.0
        for i in range(n):
            m = 0.0
            for j in range(d):
                m += Z[i, j] * w[j]                            # margin m_i = z_i^T w
            if m >= 0.0:
                e = np.exp(-m)
                s = e / (1.0 + e)                              # sigma(-m) for m >= 0
            else:
                s = 1.0 / (1.0 + np.exp(m))                    # sigma(-m) for m < 0
            for j in range(d):
                g[j] -= Z[i, j] * s                            # grad L = -sum_i z_i sigma(-m_i)
        for j in range(d):
            w[j] -= lr * g[j]                                  # w <- w - lr grad L(w)
        while k < t.size and t[k] == step:
            for j in range(d):
                W[k, j] = w[j]
            k += 1
    return W


_GD_JIT = None


def _gd_jit():
    global _GD_JIT
    if _GD_JIT is None:
        import numba

        _GD_JIT = numba.njit(cache=True)(_gd_loop)
    return _GD_JIT


def _gd_inputs(X, y, steps, lr, checkpoints):
    X, y = _data(X, y)
    steps = _steps(steps)
    lr = positive_float("lr", lr)
    t = _checkpoints(checkpoints, steps)
    return y[:, None] * X, steps, lr, t


def gradient_descent(X, y, *, steps: int, lr: float, checkpoints) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on L from w = 0, w <- w - lr grad L(w), compiled with numba.

    Returns (t, W): t the sorted unique checkpoints (step counts in [0, steps], 0 = the start),
    W of shape (len(t), d) the iterates after those steps."""
    Z, steps, lr, t = _gd_inputs(X, y, steps, lr, checkpoints)
    W = _gd_jit()(Z, lr, steps, t)
    if not np.all(np.isfinite(W)):
        raise ValueError(f"gradient_descent overflowed (w reached inf or NaN): lr={lr} is too large for X")
    return t, W


def _gradient_descent_numpy(X, y, *, steps: int, lr: float, checkpoints) -> tuple[np.ndarray, np.ndarray]:
    """The same loop in plain numpy (slow: ~20 us a step), the reference for gradient_descent."""
    Z, steps, lr, t = _gd_inputs(X, y, steps, lr, checkpoints)
    keep = set(t.tolist())
    w = np.zeros(Z.shape[1])
    W = [w.copy()] if 0 in keep else []
    for step in range(1, steps + 1):
        grad = -(Z.T @ sigmoid(-(Z @ w)))                   # grad L(w) = -sum_i z_i sigma(-z_i^T w)
        w = w - lr * grad                                    # w <- w - lr grad L(w)
        if step in keep:
            W.append(w.copy())
    return t, np.array(W)


# -- the implicit-bias experiment ---------------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    """v / ||v|| along the last axis, for any finite non-zero v: v is first divided by the power
    of 2 at or above its largest entry (exact), so ||v|| can neither overflow (past ~1e154 its
    square would) nor underflow."""
    big = np.max(np.abs(v), axis=-1, keepdims=True)
    v = np.ldexp(v, -np.frexp(big)[1])                        # exact: entries now in (-1, 1)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def angle(a, b) -> np.ndarray:
    """The angle in radians between a (..., d) and b (d,), by Kahan's stable formula
    2 atan2(||a/|a| - b/|b|||, ||a/|a| + b/|b|||) (accurate also for tiny angles), for vectors of
    any finite non-zero norm (1e-300 or 1e300 alike)."""
    b = float_array("b", b, shapes=[(None,)], expected="a vector (d,)")
    d = b.size
    a = float_array("a", a, shapes=[(d,), (None, d)], expected=f"({d},) or (k, {d}), like b")
    if not np.any(b) or not np.all(np.any(a, axis=-1)):
        raise ValueError("angle is undefined for a zero vector: a and b must be non-zero")
    ua, ub = _unit(a), _unit(b)
    return 2.0 * np.arctan2(np.linalg.norm(ua - ub, axis=-1), np.linalg.norm(ua + ub, axis=-1))


def log_checkpoints(steps: int, num: int = 200) -> np.ndarray:
    """About ``num`` unique integer step counts, log-spaced from 1 to ``steps`` (both included)."""
    steps = _steps(steps)
    num = positive_int("num", num, at_most=MAX_POINTS, limit="10**7")
    return np.unique(np.round(np.logspace(0.0, np.log10(steps), num)).astype(np.int64))


@dataclass(frozen=True)
class ImplicitBias:
    """The quantities of the implicit-bias experiment (GD from w = 0 with lr = 1/sigma_max(X))."""

    lr: float                      # 1 / sigma_max(X), the largest singular value of X
    lr_bound: float                # Soudry's sufficient bound 2 beta^-1 sigma_max^-2 = 8 / sigma_max^2
    w_hat: np.ndarray              # the hard-margin SVM direction (max_margin)
    w_hat_norm: float              # ||w_hat||
    t: np.ndarray                  # the checkpoints (step counts)
    W: np.ndarray                  # the iterates w_t, shape (len(t), d)
    norms: np.ndarray              # ||w_t||
    angles: np.ndarray             # angle(w_t, w_hat) in radians
    losses: np.ndarray             # L(w_t)
    residuals: np.ndarray          # ||rho(t)|| = ||w_t - w_hat log t||
    fit_window: tuple[int, int]    # t-range of the least-squares fit of ||w_t|| on log t
    slope: float                   # that least-squares slope
    intercept: float               # and its intercept
    slope_rel_diff: float          # (slope - ||w_hat||) / ||w_hat||
    final_angle: float             # angle(w_T, w_hat) at the last step T
    final_t_loss: float            # T L(w_T)
    predicted_t_loss: float        # its limit ||w_hat||^2 / lr (Theorem 3 with the exponential tail)
    angle_monotone_after_100: bool  # angles strictly decrease over the checkpoints t >= MONOTONE_FROM


def implicit_bias(X, y, *, steps: int = 10**6, checkpoints=None,
                  fit_window: tuple[int, int] = (10**4, 10**6)) -> ImplicitBias:
    """Run gradient descent from w = 0 with lr = 1/sigma_max(X) for ``steps`` steps and measure
    Soudry et al.'s predictions.  ``checkpoints`` defaults to log_checkpoints(steps) (175 unique
    step counts for 10^6).  Note lr = 1/sigma_max is below the theorem's sufficient bound
    8/sigma_max^2 only when sigma_max(X) < 8; ``lr_bound`` records it (the paper-like Figure-1 data
    have sigma_max = 12.8, so there GD runs outside the theorem's hypothesis, and still converges)."""
    X, y = _data(X, y)
    steps = _steps(steps)
    t = log_checkpoints(steps) if checkpoints is None else _checkpoints(checkpoints, steps)
    window = pair("fit_window", fit_window, "(first, last)")
    lo, hi = (positive_int(f"fit_window[{k}]", v) for k, v in enumerate(window))
    fit = (t >= lo) & (t <= hi)
    if fit.sum() < 2:
        raise ValueError(f"fit_window {fit_window} must contain at least 2 checkpoints, got {int(fit.sum())}")
    w_hat = max_margin(X, y)
    lr = 1.0 / np.linalg.norm(X, 2)                           # 1 / sigma_max(X)
    t, W = gradient_descent(X, y, steps=steps, lr=lr, checkpoints=t)
    norms = np.linalg.norm(W, axis=1)
    log_t = np.log(np.maximum(t, 1))
    slope, intercept = np.polyfit(log_t[fit], norms[fit], 1)  # ||w_t|| ~ slope log t + intercept
    angles = np.full(t.size, np.nan)                          # undefined at w = 0 (t = 0)
    angles[norms > 0] = angle(W[norms > 0], w_hat)
    losses = np.sum(np.logaddexp(0.0, -(W @ (y[:, None] * X).T)), axis=1)   # L(w_t), every row
    late = angles[t >= MONOTONE_FROM]
    w_hat_norm = float(np.linalg.norm(w_hat))
    return ImplicitBias(
        lr=float(lr), lr_bound=8.0 * float(lr) ** 2, w_hat=w_hat, w_hat_norm=w_hat_norm,
        t=t, W=W, norms=norms, angles=angles, losses=losses,
        residuals=np.linalg.norm(W - np.outer(log_t, w_hat), axis=1),
        fit_window=(lo, hi), slope=float(slope), intercept=float(intercept),
        slope_rel_diff=float((slope - w_hat_norm) / w_hat_norm), final_angle=float(angles[-1]),
        final_t_loss=float(t[-1] * losses[-1]), predicted_t_loss=w_hat_norm**2 / float(lr),
        angle_monotone_after_100=bool(late.size >= 2 and np.all(np.diff(late) < 0)),
    )
