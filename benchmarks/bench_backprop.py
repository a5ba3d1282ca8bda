"""Benchmark: hw1's hand-written backprop (numpy) against torch autograd, and ``import hw1``.

Run as a script from anywhere:  python benchmarks/bench_backprop.py [--threads N] [--repeats R]

1. One forward + backward pass of Linear1 -> f -> Linear2 -> g with f = 5relu, g = identity and
   the homework's MSE, on a batch of 1024 points, n = 784, d = 256, K = 10, float64, CPU:
   - hand-written: ``hw1.TwoLayerNet.forward`` then ``.backward`` (input checks included);
   - torch autograd, two ways: ``hw1.reference`` (the same ops, ``x @ W.T + b``) and the
     idiomatic ``torch.nn.functional.linear`` (a fused addmm); gradients set to None each time,
     as ``optimizer.zero_grad()`` does.
   Both sides get the same number of threads: OMP/OPENBLAS/MKL_NUM_THREADS are set before numpy
   and torch load, and ``torch.set_num_threads`` too.  Without ``--threads`` the benchmark runs
   twice, in fresh interpreters: with 1 thread and with all cores.  Numpy's element-wise ops are
   single-threaded whatever the setting; torch's use all the threads it is given.
   ``--repeats`` timed runs of each side, in blocks that alternate between the sides, each block
   after ``--warmup`` untimed runs; medians, and their ratio against the faster torch variant.
   Target: hand-written <= 1.2x autograd.  The two big matrix products (x W1^T and dz1^T x) are
   also timed alone on each side, to show how much of any gap is numpy's OpenBLAS against
   torch's MKL rather than the code around them.
2. ``import hw1`` in fresh interpreters, timed inside each (median of ``--import-runs``).
   Target: < 0.3 s.

Prints PASS or MISS against each target and always exits 0: timings on a shared machine are
information, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
B, N, D, K = 1024, 784, 256, 10
F, G, LOSS = "5relu", "identity", "mse"
TARGET_RATIO = 1.2
TARGET_IMPORT_S = 0.3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads for both numpy and torch (default: 1, then all cores)")
    p.add_argument("--skip-import", action="store_true", help="only the forward + backward benchmark")
    p.add_argument("--repeats", type=int, default=30, help="timed runs of each side")
    p.add_argument("--warmup", type=int, default=10, help="untimed runs of a side before each block")
    p.add_argument("--import-runs", type=int, default=10, help="fresh interpreters for `import hw1`")
    return p.parse_args()


def openblas_threads() -> str:
    """The thread count numpy's bundled OpenBLAS reports, best effort (else 'unknown')."""
    import ctypes
    import glob

    import numpy as np

    for lib in glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*")):
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                       "openblas_get_num_threads"):
            try:
                return str(getattr(ctypes.CDLL(lib), symbol)())
            except (OSError, AttributeError):
                continue
    return "unknown"


def time_once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_backprop(args) -> None:
    import numpy as np
    import torch

    import hw1
    from hw1 import reference
    from hw1.gradcheck import rel_err

    torch.set_num_threads(args.threads)
    print(f"threads: numpy's OpenBLAS {openblas_threads()} (OPENBLAS_NUM_THREADS={args.threads}), "
          f"torch {torch.get_num_threads()} (torch.set_num_threads({args.threads})); cores: {os.cpu_count()}")
    print(f"numpy {np.__version__}, torch {torch.__version__}, python {sys.version.split()[0]}; "
          f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())} (a shared machine: other "
          "processes show up as noise)")

    rng = np.random.default_rng(0)
    net = hw1.TwoLayerNet(N, D, K, F, G, seed=0)
    x, y = rng.normal(size=(B, N)), rng.normal(size=(B, K))

    def hand_written():
        return net.backward(net.forward(x), y, LOSS)

    theta = reference.as_tensors(net.params, requires_grad=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def autograd_reference():
        for t in theta.values():
            t.grad = None                                        # optimizer.zero_grad()
        z3, y_hat = reference.forward(theta, xt, F, G)
        reference.output_loss(z3, y_hat, yt, LOSS).backward()
        return theta

    def autograd_linear():
        for t in theta.values():
            t.grad = None
        z2 = 5.0 * torch.relu(torch.nn.functional.linear(xt, theta["W1"], theta["b1"]))
        y_hat = torch.nn.functional.linear(z2, theta["W2"], theta["b2"])
        ((y_hat - yt) ** 2).sum(dim=1).mean().backward()
        return theta

    # same numbers first: a benchmark of two different computations would mean nothing
    grads = hand_written()
    for fn in (autograd_reference, autograd_linear):
        err = max(rel_err(grads[k], t.grad.numpy()) for k, t in fn().items())
        print(f"check: hand-written vs {fn.__name__}: max rel. error {err:.1e} "
              f"({'ok' if err <= 1e-12 else 'WRONG'}, tolerance 1e-12)")

    # where the time goes: the two big products, x W1^T (forward) and dz1^T x (dW1), on each side
    W1, dz1 = net.params["W1"], rng.normal(size=(B, D))
    W1t, dz1t = torch.from_numpy(W1), torch.from_numpy(dz1)

    def blas_numpy():
        return x @ W1.T, dz1.T @ x

    def blas_torch():
        return xt @ W1t.T, dz1t.T @ xt

    sides = {"hand-written (numpy)": hand_written, "autograd (hw1.reference)": autograd_reference,
             "autograd (F.linear)": autograd_linear, "x W1^T, dz1^T x (numpy)": blas_numpy,
             "x W1^T, dz1^T x (torch)": blas_torch}
    # Blocks of runs, not single runs, alternate between the sides: the idle threads of OpenBLAS
    # and of torch's OpenMP spin for a while after each call, and on 2 cores a side timed right
    # after the other one competes with those spinning threads (seen here: torch runs up to 10x
    # slower when interleaved one by one with numpy's).
    times = {name: [] for name in sides}
    rounds = 5
    for r in range(rounds):
        for name, fn in sides.items():
            for _ in range(args.warmup):
                fn()
            block = args.repeats // rounds + (r < args.repeats % rounds)
            times[name] += [time_once(fn) for _ in range(block)]
    med = {name: statistics.median(ts) for name, ts in times.items()}

    print(f"\nforward + backward, B={B}, n={N}, d={D}, K={K}, f={F}, g={G}, loss={LOSS}, float64, CPU; "
          f"{args.repeats} timed runs each, in {rounds} blocks alternating between the sides, "
          f"each block after {args.warmup} warm-up runs")
    for name, ts in times.items():
        print(f"  {name:<26} median {med[name] * 1e3:7.2f} ms   (min {min(ts) * 1e3:6.2f}, "
              f"max {max(ts) * 1e3:6.2f})")
    print(f"  the two big products alone (x W1^T forward, dz1^T x for dW1): numpy (OpenBLAS) / torch (MKL)"
          f" = {med['x W1^T, dz1^T x (numpy)'] / med['x W1^T, dz1^T x (torch)']:.2f}")
    hand = med["hand-written (numpy)"]
    for name in ("autograd (hw1.reference)", "autograd (F.linear)"):
        print(f"  ratio hand-written / {name}: {hand / med[name]:.2f}")
    fastest = min(("autograd (hw1.reference)", "autograd (F.linear)"), key=med.get)
    ratio = hand / med[fastest]
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"  {verdict}: hand-written / fastest autograd ({fastest}) = {ratio:.2f} "
          f"(target <= {TARGET_RATIO})")


def bench_import(args) -> None:
    """Median time of ``statement`` in fresh interpreters, timed inside each."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def median_inside(statement: str) -> float:
        code = f"import time; t0 = time.perf_counter(); {statement}; print(time.perf_counter() - t0)"
        return statistics.median(
            float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                 text=True, check=True).stdout)
            for _ in range(args.import_runs))

    t = median_inside("import hw1")
    with_numpy = median_inside("import hw1; hw1.TwoLayerNet")
    with_torch = median_inside("import hw1; from hw1 import reference")
    print(f"\nimport hw1, in {args.import_runs} fresh interpreters each, timed inside the interpreter "
          f"(medians): {t * 1e3:.1f} ms")
    print(f"  for comparison: import hw1 + hw1.TwoLayerNet (loads numpy) {with_numpy * 1e3:.0f} ms; "
          f"+ hw1.reference (loads torch, as verify_gradients does) {with_torch * 1e3:.0f} ms")
    print(f"  {'PASS' if t < TARGET_IMPORT_S else 'MISS'}: {t * 1e3:.1f} ms (target < {TARGET_IMPORT_S} s)")


def main() -> int:
    args = parse_args()
    if (args.threads is not None and args.threads < 1) or args.repeats < 1 or args.warmup < 0 \
            or args.import_runs < 1:
        print("--threads, --repeats and --import-runs must be >= 1, --warmup >= 0", file=sys.stderr)
        return 0
    if args.threads is None:
        # thread counts are fixed when numpy and torch load: one fresh interpreter per setting
        for threads in sorted({1, os.cpu_count() or 1}):
            print(f"===== {threads} thread(s) for numpy and torch =====", flush=True)
            subprocess.run([sys.executable, __file__, "--threads", str(threads), "--skip-import",
                            "--repeats", str(args.repeats), "--warmup", str(args.warmup)], check=False)
            print(flush=True)
    else:
        for var in THREAD_VARIABLES:           # before numpy and torch are imported
            os.environ[var] = str(args.threads)
        sys.path.insert(0, str(ROOT))
        bench_backprop(args)
    if not args.skip_import:
        bench_import(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
