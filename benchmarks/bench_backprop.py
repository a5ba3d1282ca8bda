"""Benchmark: hw1's hand-written backprop (numpy) against torch autograd, and ``import hw1``.

Run as a script from anywhere:  python benchmarks/bench_backprop.py [--threads N] [--repeats R]

1. One forward + backward pass of Linear1 -> f -> Linear2 -> g with f = 5relu, g = identity and
   the homework's MSE, on a batch of 1024 points, n = 784, d = 256, K = 10, float64, CPU:
   - hand-written: ``hw1.TwoLayerNet.forward`` then ``.backward`` (input checks included);
   - torch autograd, two ways: ``hw1.reference`` (the same ops, ``x @ W.T + b``) and the
     idiomatic ``torch.nn.functional.linear`` (a fused addmm); gradients set to None each time,
     as ``optimizer.zero_grad()`` does.
   Both sides get the same number of BLAS threads (``--threads``, default: all cores): the
   thread variables are set before numpy and torch load, and ``torch.set_num_threads`` too.
   Numpy's element-wise ops are single-threaded whatever the setting; torch's may use them all.
   Warm-up, then ``--repeats`` interleaved timings of each; medians, and their ratio against the
   faster torch variant.  Target: hand-written <= 1.2x autograd.
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
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="BLAS/OpenMP threads for both numpy and torch (default: all cores)")
    p.add_argument("--repeats", type=int, default=30, help="timed runs of each side")
    p.add_argument("--warmup", type=int, default=10, help="untimed runs of each side first")
    p.add_argument("--import-runs", type=int, default=10, help="fresh interpreters for `import hw1`")
    return p.parse_args()


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
    print(f"threads: numpy/OpenBLAS {os.environ['OPENBLAS_NUM_THREADS']} (from OPENBLAS_NUM_THREADS), "
          f"torch {torch.get_num_threads()} (torch.set_num_threads); cores: {os.cpu_count()}")
    print(f"numpy {np.__version__}, torch {torch.__version__}, python {sys.version.split()[0]}")

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
        print(f"check: hand-written vs {fn.__name__}: max rel. error {err:.1e}")

    sides = {"hand-written (numpy)": hand_written, "autograd (hw1.reference)": autograd_reference,
             "autograd (F.linear)": autograd_linear}
    # Blocks, not single runs, alternate between the sides: the idle threads of OpenBLAS and of
    # torch's OpenMP spin for a while after each call, and on a 2-core machine a side timed right
    # after the other one competes with those spinning threads.
    times = {name: [] for name in sides}
    rounds = 3
    for r in range(rounds):
        for name, fn in sides.items():
            for _ in range(args.warmup if r == 0 else max(1, args.warmup // 3)):
                fn()
            times[name] += [time_once(fn) for _ in range(args.repeats // rounds + (r < args.repeats % rounds))]
    med = {name: statistics.median(ts) for name, ts in times.items()}

    print(f"\nforward + backward, B={B}, n={N}, d={D}, K={K}, f={F}, g={G}, loss={LOSS}, float64, CPU; "
          f"{args.warmup} warm-up + {args.repeats} timed runs each")
    for name, ts in times.items():
        print(f"  {name:<26} median {med[name] * 1e3:7.2f} ms   (min {min(ts) * 1e3:6.2f}, "
              f"max {max(ts) * 1e3:6.2f})")
    hand = med["hand-written (numpy)"]
    for name in ("autograd (hw1.reference)", "autograd (F.linear)"):
        print(f"  ratio hand-written / {name}: {hand / med[name]:.2f}")
    fastest = min(("autograd (hw1.reference)", "autograd (F.linear)"), key=med.get)
    ratio = hand / med[fastest]
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"  {verdict}: hand-written / fastest autograd ({fastest}) = {ratio:.2f} "
          f"(target <= {TARGET_RATIO})")


def bench_import(args) -> None:
    code = "import time; t0 = time.perf_counter(); import hw1; print(time.perf_counter() - t0)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    inside, wall = [], []
    for _ in range(args.import_runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True)
        wall.append(time.perf_counter() - t0)
        inside.append(float(out.stdout))
    bare = statistics.median(
        time_once(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
        for _ in range(args.import_runs))
    t = statistics.median(inside)
    print(f"\nimport hw1 in {args.import_runs} fresh interpreters: median {t * 1e3:.1f} ms inside "
          f"the interpreter (whole process {statistics.median(wall) * 1e3:.0f} ms, of which "
          f"~{bare * 1e3:.0f} ms is starting python)")
    print(f"  {'PASS' if t < TARGET_IMPORT_S else 'MISS'}: {t:.3f} s (target < {TARGET_IMPORT_S} s)")


def main() -> int:
    args = parse_args()
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0 or args.import_runs < 1:
        print("--threads, --repeats and --import-runs must be >= 1, --warmup >= 0", file=sys.stderr)
        return 0
    for var in THREAD_VARIABLES:           # before numpy and torch are imported
        os.environ[var] = str(args.threads)
    sys.path.insert(0, str(ROOT))
    bench_backprop(args)
    bench_import(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
