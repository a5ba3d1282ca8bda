"""The inputs an adversarial run of the library found (issue 12), kept as tests: each gave a raw
traceback, a silent wrong answer or a hang.  Each now gives the right answer, or a ValueError that
names the argument, what it got and what was expected; and none hangs (a SIGALRM timer
interrupts a call still running after HANG seconds: the hangs found ran for minutes or forever,
so a hang fails the test instead of stalling the suite; speed itself is measured in benchmarks/).

Tolerances: U is the unit roundoff 2^-53; FN_ULPS bounds the error of an elementwise function
(exp, log1p, tanh) in ulps, as in test_logistic.py."""

from __future__ import annotations

import contextlib
import signal

import mpmath
import numpy as np
import pytest
from conftest import planted

from hw1 import logistic as lg
from hw1.gradcheck import draw_problem, verify_gradients
from hw1.net import TwoLayerNet, jacobians

EPS = np.finfo(np.float64).eps
U = EPS / 2
FN_ULPS = 4
HANG = 30.0   # seconds: far above any call below on a slow or busy machine, far below the hangs


@contextlib.contextmanager
def at_most(seconds: float = HANG):
    """Raise TimeoutError in the block after ``seconds`` (SIGALRM: Python-level loops only)."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: a hang")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Import what the calls import on first use (scipy, numba's cached loop): that is start-up,
    not the call."""
    import scipy.optimize  # noqa: F401

    import hw1.reference  # noqa: F401  (torch)

    X, y = lg.soudry_figure1_data()
    lg.gradient_descent(X, y, steps=2, lr=0.1, checkpoints=[2])
    lg.is_separable(X, y)


def raises(call, match: str, exc=ValueError):
    with at_most(), pytest.raises(exc, match=match):
        call()


def good(p, x, y):
    net = TwoLayerNet.from_params(p)
    return net.backward(net.forward(x), y)


# -- raw tracebacks become messages -------------------------------------------------------------
SEEDED = {   # every public function that takes a seed
    "TwoLayerNet": lambda s: TwoLayerNet(2, 3, 1, seed=s),
    "soudry_figure1_data": lambda s: lg.soudry_figure1_data(seed=s),
    "separable_data": lambda s: lg.separable_data(seed=s),
    "nonseparable_data": lambda s: lg.nonseparable_data(seed=s),
    "draw_problem": lambda s: draw_problem(s, "tanh", "identity", "mse", 2, 3, 1, 4),
}


@pytest.mark.parametrize("seed", [-1, 1.5, "a", True, None, 2.0])
@pytest.mark.parametrize("function", list(SEEDED))
def test_a_bad_seed_is_named(function, seed):
    """numpy's own errors ('expected non-negative integer', 'SeedSequence expects int or sequence
    of ints') did not say which argument; True and None were taken (None: an unseeded draw)."""
    raises(lambda: SEEDED[function](seed), rf"seed must be a non-negative integer, got {seed!r} \(")


@pytest.mark.parametrize("seed", [0, 7, np.int64(3), 2**70])
def test_good_seeds_still_work(seed):
    for call in (lambda s: TwoLayerNet(2, 3, 1, seed=s), lambda s: lg.soudry_figure1_data(seed=s)):
        with at_most():
            call(seed)


@pytest.mark.parametrize(("call", "match"), [
    # singular X (rank 1 < d = 2), non-separable: the minimiser is not unique (LinAlgError before)
    (lambda: lg.minimizer([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.0]], [1, 1, -1]),
     r"minimizer: X \(3, 2\) has rank 1 < 2"),
    (lambda: lg.minimizer([[1.0, 0.0], [-1.0, 0.0]], [1, 1]), r"X \(2, 2\) has rank 1 < 2"),
    # steps beyond int64 (numba's loop counter wrapped: no step taken, and no error)
    (lambda: lg.gradient_descent([[1.0]], [1], steps=2**63, lr=0.1, checkpoints=[1]),
     r"steps must be a positive integer <= 2\*\*53, got 9223372036854775808"),
    (lambda: lg.log_checkpoints(2**64), r"steps must be a positive integer <= 2\*\*53"),
    (lambda: lg.implicit_bias([[1.0]], [1], steps=2**63), r"steps must be a positive integer <= 2\*\*53"),
    # sizes numpy cannot hold (a TypeError from np.sqrt of a Python int before)
    (lambda: TwoLayerNet(2**70, 2, 2), r"TwoLayerNet\(n=1180591620717411303424, d=2, K=2\) would have"),
    (lambda: TwoLayerNet(2, 2**40, 2**40), r"would have .* parameters, more than"),
    (lambda: verify_gradients(good, n=2**70), r"would have .* parameters"),
    # a scalar or a wrong-length margin_range ("'int' object is not iterable" before)
    (lambda: lg.soudry_figure1_data(margin_range=2),
     r"margin_range must be a pair \(low, high\), got 2 \(int\)"),
    (lambda: lg.soudry_figure1_data(margin_range=(2.0, 3.0, 4.0)),
     r"margin_range must be a pair \(low, high\), got a tuple of length 3"),
    (lambda: lg.soudry_figure1_data(margin_range="ab"),
     r"margin_range must be a pair \(low, high\), got 'ab'"),
    (lambda: lg.implicit_bias([[1.0]], [1], steps=10, fit_window=5),
     r"fit_window must be a pair \(first, last\), got 5 \(int\)"),
    # the tolerances of verify_gradients (accepted, then a format error while printing the report)
    (lambda: verify_gradients(good, rtol_fd="1e-6"), r"rtol_fd must be a positive finite number, got '1e-6'"),
    (lambda: verify_gradients(good, rtol_autograd="1e-6"), r"rtol_autograd must be a positive finite number"),
    (lambda: verify_gradients(good, rtol_fd=-1.0), r"rtol_fd must be a positive finite number, got -1\.0"),
    (lambda: verify_gradients(good, rtol_autograd=np.nan), r"rtol_autograd must be a positive finite number"),
    # found by a sweep of odd arguments over the public API: numpy's own messages, naming nothing
    (lambda: lg.gradient_descent([[1.0]], [1], steps=3, lr=0.1, checkpoints=[1, [2]]),
     r"checkpoints must be an iterable of step counts, got a list of length 2"),
    (lambda: lg.log_checkpoints(100, num=2**70), r"num must be a positive integer <= 10\*\*7"),
    (lambda: lg.gradient_descent([[4.0]], [1], steps=3, lr=1e308, checkpoints=[3]),   # w_1 = 2e308
     r"gradient_descent overflowed .*: lr=1e\+308 is too large"),
    (lambda: draw_problem(0, "tanh", "identity", "mse", 2, 3, 1, -1),
     r"batch must be a positive integer, got -1"),
    (lambda: draw_problem(0, "tanh", "identity", "hinge", 2, 3, 1, 4), r"unknown loss 'hinge'"),
    (lambda: verify_gradients(good, batch=2**70), r"batch=1180591620717411303424 points .* more than"),
])
def test_raw_tracebacks_become_messages(call, match):
    raises(call, match)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: lg.loss(np.array([1.0 + 1.0j, 1.0]), [[1.0, 2.0]], [1]), r"w is complex"),
    (lambda: lg.is_separable(np.array([[1.0, 2.0]]) + 0.5j, [1]), r"X is complex"),
    (lambda: lg.loss_along_ray(np.array(1.0 + 2.0j), [1.0], [[1.0]], [1]), r"c is complex"),
    (lambda: lg.angle([1.0, 1.0j], [1.0, 0.0]), r"a is complex"),
    (lambda: TwoLayerNet(2, 2, 2).forward(np.array([1.0 + 1.0j, 1.0])), r"x is complex"),
    (lambda: TwoLayerNet(2, 2, 2).forward([1.0 + 1.0j, 1.0]), r"x is complex"),
    (lambda: TwoLayerNet.from_params({"W1": np.eye(2) * (1 + 1j), "b1": np.zeros(2), "W2": np.eye(2),
                                      "b2": np.zeros(2)}), r"params\['W1'\] is complex"),
])
def test_complex_input_is_rejected_not_truncated(call, match):
    """np.asarray(..., dtype=float64) drops the imaginary part (with a warning, an error only
    under pytest's filterwarnings): the caller's numbers were silently changed."""
    raises(call, match + r" \(dtype complex.*\); expected real numbers")


# -- silent wrong answers in hw1.logistic --------------------------------------------------------
SEPARABLE = {"figure1": lg.soudry_figure1_data(), "separable": lg.separable_data(), "planted": planted(0)}
SCALES = [10.0**k for k in range(-12, 13)]


@pytest.mark.parametrize("method", ["primal", "dual"])
@pytest.mark.parametrize("name", list(SEPARABLE))
def test_max_margin_is_scale_invariant(name, method):
    """max_margin(c X, y) = max_margin(X, y) / c, to 1e-8 relative, for c = 1e-12 .. 1e12 (the
    accuracy the primal and the dual agree to at c = 1); and at every scale the KKT conditions
    hold: every margin >= 1, the smallest = 1 to 1e-12.  Before: the dual pointed the wrong way at
    c = 1e-8 and was NaN at 1e-9; the primal's smallest margin was 0.99966 at 1e-6."""
    X, y = SEPARABLE[name]
    w1 = lg.max_margin(X, y, method=method)
    for c in SCALES:
        w = lg.max_margin(c * X, y, method=method)
        assert np.max(np.abs(w * c - w1)) <= 1e-8 * np.max(np.abs(w1)), (c, w * c, w1)
        m = lg.margins(w, c * X, y)
        assert abs(m.min() - 1.0) <= 1e-12 and np.all(m >= 1.0 - 1e-12), (c, m.min())


def test_is_separable_is_scale_invariant():
    """Before: is_separable(X * 1e-10, y) said False for separable data."""
    nonsep = lg.nonseparable_data()
    for c in SCALES:
        for name, (X, y) in SEPARABLE.items():
            assert lg.is_separable(c * X, y), (name, c)
        assert not lg.is_separable(c * nonsep[0], nonsep[1]), c


def test_max_margin_out_of_range_is_a_clear_error():
    """Where w_hat = w_hat(X) / c is not a finite float (X's entries ~1e-310 give ||w_hat|| ~ 1e310),
    a ValueError, not inf."""
    X, y = SEPARABLE["figure1"]
    for method in ("primal", "dual"):
        raises(lambda m=method: lg.max_margin(X * 1e-310, y, method=m),
               r"max_margin(_dual)?: w_hat overflows")


def angle_tol(exact: float, d: int) -> float:
    """Each unit vector a/||a|| is within (d + 2) u of exact per component (the norm's d squares and
    sum, its root and the division), their difference and sum add u: an absolute error of about
    2 (d + 3) u in the angle, the (absolute) condition of the angle under relative perturbations of
    the components; atan2 adds FN_ULPS u and the factor 2 is exact."""
    return 2 * (d + 3) * U + (FN_ULPS + 1) * U * exact


def _mp_angle(a, b) -> float:
    with mpmath.workdps(60):
        a, b = [mpmath.mpf(float(v)) for v in a], [mpmath.mpf(float(v)) for v in b]
        dot = mpmath.fsum(p * q for p, q in zip(a, b, strict=True))
        cross = mpmath.sqrt(mpmath.fsum((a[i] * b[j] - a[j] * b[i]) ** 2
                                        for i in range(len(a)) for j in range(i + 1, len(a))))
        return float(mpmath.atan2(cross, dot))


@pytest.mark.parametrize("k", [-300, -200, -160, -150, 0, 150, 155, 160, 200, 300])
def test_angle_is_exact_at_any_norm(k):
    """Parallel vectors have angle 0, antiparallel pi, orthogonal pi/2, for norms from 1e-300 to
    1e300 (before: pi/2 for parallel vectors once ||a|| ||b|| overflowed, about 1e154 each).
    With a = 2^j v exactly parallel the answer is exact; with 10^k v (rounded) within angle_tol of
    the angle mpmath gives for those very floats."""
    v = np.array([3.0, -1.0, 2.0])
    j = round(k * np.log2(10))
    assert lg.angle(np.ldexp(v, j), v) == 0.0
    assert lg.angle(-np.ldexp(v, j), np.ldexp(v, -j)) == np.pi
    a = v * 10.0**k
    assert abs(lg.angle(a, v) - _mp_angle(a, v)) <= angle_tol(0.0, 3)
    assert abs(lg.angle(a, -v) - _mp_angle(a, -v)) <= angle_tol(np.pi, 3)
    ortho = np.array([1.0, 1.0, -1.0])                        # v . ortho = 0 exactly
    assert abs(lg.angle(a, ortho * 10.0**-k) - np.pi / 2) <= angle_tol(np.pi / 2, 3)
    rows = np.vstack([a, -a, ortho * 10.0**k])
    want = [_mp_angle(r, v) for r in rows]
    assert np.all(np.abs(lg.angle(rows, v) - want) <= [angle_tol(w, 3) for w in want])


@pytest.mark.parametrize("theta", [1e-15, 1e-10, 1e-5, 0.1, 1.0, 3.0])
@pytest.mark.parametrize("k", [-300, 0, 300])
def test_angle_small_and_large_angles_are_accurate(theta, k):
    """Against 60-digit mpmath on the same floats, within angle_tol (Kahan's formula does not
    cancel at small angles: the naive arccos of the cosine is wrong by ~1e-8 at theta = 1e-10)."""
    a = np.array([np.cos(theta), np.sin(theta)]) * 10.0**k
    b = np.array([1.0, 0.0]) * 10.0**-k
    exact = _mp_angle(a, b)
    assert abs(lg.angle(a, b) - exact) <= angle_tol(exact, 2)


# -- silent wrong answers in hw1.net --------------------------------------------------------------
def _one_unit(g="sigmoid"):
    return TwoLayerNet.from_params({"W1": [[1.0]], "b1": [0.0], "W2": [[1.0]], "b2": [0.0]}, "identity", g)


def _mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


@pytest.mark.parametrize("z", [-800.0, -700.0, -40.0, -5.0, 0.5, 5.0, 40.0, 700.0, 800.0])
@pytest.mark.parametrize("y", [0.0, 0.25, 1.0])
def test_bce_jacobian_is_stable(z, y):
    """dl/dy_hat = (y_hat - y) / (y_hat (1 - y_hat)) (K = 1), evaluated from z3 (before: inf at
    z = 40, y = 0, where the true value is 1 + e^40 = 2.4e17; the naive form divides by the
    rounded 1 - y_hat = 0).  Against 50-digit mpmath; a true value beyond 1.8e308 gives +-inf.
    Tolerance: for z >= 0 the value is ((1 - y)(1 + e^z) - 1)(1 + e^-z), for z < 0 the mirror
    image; the first product is within (FN_ULPS + 3) u, the subtraction multiplies that by at most
    max(y, 1 - y) / |y_hat - y| <= 2 at these points, and the last factor and product add
    (FN_ULPS / 2 + 2) u: (3 FN_ULPS + 10) u in all."""
    with mpmath.workdps(50):
        s, s_minus = _mp_sigmoid(z), _mp_sigmoid(-z)           # 1 - s without cancellation
        exact = ((1 - y) * s - y * s_minus) / (s * s_minus)     # (s - y) / (s (1 - s))
    got = jacobians(_one_unit(), [z], [y], "bce")["dl_dyhat"][0, 0]
    if abs(exact) > np.finfo(np.float64).max:
        assert got == (np.inf if exact > 0 else -np.inf)
    else:
        assert abs(mpmath.mpf(got) - exact) <= (3 * FN_ULPS + 10) * U * abs(exact), (got, exact)


@pytest.mark.parametrize("z", [-40.0, -5.0, 0.5, 5.0, 40.0, 300.0])
@pytest.mark.parametrize("g", ["sigmoid", "tanh"])
def test_output_derivatives_keep_their_relative_accuracy(g, z):
    """g'(z3) on the Jacobian's diagonal: sigma' = sigma(z) sigma(-z), tanh' = 1 - tanh^2 = sech^2.
    Written as sigma (1 - sigma) or 1 - tanh^2 they round to 0 for z >= 37 or 19 (true values
    4e-18 and 7e-35 at z = 40), so dl/dy_hat . dy_hat/dz3 was inf * 0 = NaN, or 0, not dl/dz3.
    Each is an exp, a few operations and a product: within 4 FN_ULPS u."""
    with mpmath.workdps(50):
        exact = (_mp_sigmoid(z) * _mp_sigmoid(-z) if g == "sigmoid" else 1 / mpmath.cosh(z) ** 2)
    got = jacobians(_one_unit(g), [z], [0.0])["dyhat_dz3"][0, 0]
    assert abs(mpmath.mpf(got) - exact) <= 4 * FN_ULPS * U * exact, (got, exact)


@pytest.mark.parametrize("z", [-40.0, 0.5, 40.0, 700.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_chain_rule_through_the_jacobians(z, y):
    """The part-4 chain rule from the Jacobians, dl/dy_hat . dy_hat/dz3, is dl/dz3 = sigma(z) - y:
    within the two entries' bounds (22 u and 16 u for FN_ULPS = 4) and a product, 10 FN_ULPS u."""
    jac = jacobians(_one_unit(), [z], [y], "bce")
    with mpmath.workdps(50):
        exact = (1 - y) * _mp_sigmoid(z) - y * _mp_sigmoid(-z)   # sigma(z) - y
    got = (jac["dl_dyhat"] @ jac["dyhat_dz3"])[0, 0]
    assert abs(mpmath.mpf(got) - exact) <= 10 * FN_ULPS * U * abs(exact), (got, exact)


def test_from_params_copies_every_parameter():
    """The docstring says copied; b1 and b2 were the caller's arrays."""
    source = {"W1": np.ones((3, 2)), "b1": np.zeros(3), "W2": np.ones((1, 3)), "b2": np.zeros(1)}
    net = TwoLayerNet.from_params(source)
    for k, v in source.items():
        v += 1.0
        assert not np.shares_memory(net.params[k], v), k
        assert np.all(net.params[k] == v - 1.0), k


@pytest.mark.parametrize("shape", [(2,), (4, 2)])
def test_the_cache_keeps_its_own_x(shape):
    """Editing x after forward() changed what backward() returned: cache.x was the caller's x."""
    net = TwoLayerNet(2, 3, 1, "tanh", seed=0)
    x = np.arange(float(np.prod(shape))).reshape(shape)
    y = np.ones(shape[:-1] + (1,))
    cache = net.forward(x)
    before = net.backward(cache, y)
    x += 100.0
    after = net.backward(cache, y)
    assert not np.shares_memory(cache.x, x)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


# -- hangs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "match"), [
    (lambda: lg.separable_data(gap=100), r"separable_data: gap=100.* a fraction .* of the draws"),
    (lambda: lg.separable_data(gap=20.0, n=3), r"separable_data: gap=20"),
    (lambda: lg.separable_data(gap=3.6, n=10**7),
     r"gap=3\.6 cannot be met with n=10000000: .* use gap <= 3\.51"),
    (lambda: lg.nonseparable_data(n=1), r"nonseparable_data needs n >= 3 .*got n=1"),
    (lambda: lg.nonseparable_data(n=2), r"nonseparable_data needs n >= 3 .*got n=2"),
])
def test_impossible_data_requests_fail_fast(call, match):
    """Before: gap=100 ran for more than ten minutes (a point's margin is N(sqrt 5, 1), so about
    one draw in 10^2000 qualifies), and n = 1 or 2 looped forever (in 2-D, one or two points are
    always separable through the origin)."""
    raises(call, match)


@pytest.mark.parametrize("n", [1, 3, 40])
def test_hard_but_possible_data_requests_succeed(n):
    """gap = 5.5 keeps about 1 draw in 1800 (a few thousand rounds); n = 3 non-separable points
    are about 1 draw in 13.  Both finish (no hang), and are correct."""
    with at_most():
        X, y = lg.separable_data(seed=3, n=n, gap=5.5)
    assert X.shape == (n, 2) and np.all(y * (X @ np.array([2.0, 1.0])) / np.sqrt(5.0) >= 5.5)
    if n >= 3:
        with at_most():
            X, y = lg.nonseparable_data(seed=3, n=n)
        assert X.shape == (n, 2) and not lg.is_separable(X, y)
