"""``import hw1`` is light: each check runs in a fresh interpreter and reads sys.modules.

- ``import hw1`` loads none of torch, matplotlib, sympy (nor numpy, as hw1's docstring says);
- the numpy-only API (TwoLayerNet, jacobians, sgd_step, ... and a whole forward/backward pass)
  still loads no torch, matplotlib or sympy;
- ``hw1.verify_gradients`` works right after ``import hw1``: torch loads then, on first use.

Timing is for benchmarks/bench_backprop.py, not for a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = """
import json, sys
def loaded():
    return sorted(m for m in ("torch", "matplotlib", "sympy", "numpy") if m in sys.modules)
"""


def run(code: str) -> dict:
    """Run ``code`` (after PRELUDE) in a fresh interpreter; it prints one JSON object last."""
    out = subprocess.run([sys.executable, "-c", PRELUDE + code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_probe_sees_modules():
    """The check below could fail: the same probe does see a module once it is imported."""
    assert run("import sympy, hw1\nprint(json.dumps(loaded()))") == ["sympy"]


def test_import_hw1_loads_no_heavy_module():
    assert run("import hw1\nprint(json.dumps(loaded()))") == []


def test_the_numpy_api_loads_no_torch():
    code = """
import hw1
names = ["TwoLayerNet", "Cache", "jacobians", "sgd_step", "train_sgd", "TrainResult", "ACTIVATIONS",
         "LOSSES", "verify_gradients", "GradientReport"]
objects = {name: getattr(hw1, name) for name in names}
after_names = loaded()
net = hw1.TwoLayerNet(3, 4, 2, "tanh", "sigmoid", seed=0)
cache = net.forward([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])
grads = net.backward(cache, [[0.0, 1.0], [1.0, 0.5]], "bce")
net.loss(cache, [[0.0, 1.0], [1.0, 0.5]], "bce")
hw1.jacobians(net, [0.1, 0.2, 0.3], [0.0, 1.0], "bce")
hw1.sgd_step(net.params, grads, 0.1)
print(json.dumps({"after_names": after_names, "after_use": loaded(),
                  "modules": {n: getattr(o, "__module__", None) for n, o in objects.items()}}))
"""
    out = run(code)
    assert out["after_names"] == ["numpy"]
    assert out["after_use"] == ["numpy"]
    assert out["modules"]["TwoLayerNet"] == "hw1.net"
    assert out["modules"]["verify_gradients"] == "hw1.gradcheck"
    assert out["modules"]["train_sgd"] == "hw1.train"


def test_verify_gradients_loads_torch_on_first_use():
    code = """
import hw1
before = loaded()
def candidate(params, x, y):
    net = hw1.TwoLayerNet.from_params(params)
    return net.backward(net.forward(x), y)
report = hw1.verify_gradients(candidate, seeds=range(2))
print(json.dumps({"before": before, "after": loaded(), "ok": bool(report), "text": str(report)}))
"""
    out = run(code)
    assert out["before"] == []
    assert "torch" in out["after"]
    assert out["ok"], out["text"]
    assert "all gradients match" in out["text"]


def test_unknown_names_raise_attribute_error():
    code = """
import hw1
try:
    hw1.no_such_name
except AttributeError as exc:
    print(json.dumps({"error": str(exc), "loaded": loaded(), "all": hw1.__all__}))
"""
    out = run(code)
    assert out["error"] == "module 'hw1' has no attribute 'no_such_name'"
    assert out["loaded"] == []
    assert {"TwoLayerNet", "verify_gradients", "train_sgd", "sgd_step", "jacobians"} <= set(out["all"])
