"""hw1.verify_mlp and ``python -m hw1.gradcheck`` on course-style mlp.py files.

The fixtures in tests/mlp_fixtures were written for these tests: mlp.py and mlp_accumulating.py
are right; every other file is mlp.py with one change (MISTAKES lists each; a test checks that
nothing else differs).  Each file is checked in every configuration, in float32 and in float64,
through ``verify_mlp`` and through the command line, and the verdict and the diagnosis of each
configuration are asserted (``expected``).  A right file must land 10 times below its tolerances
(err/tol <= 0.1), as in test_gradcheck_torch.py; the tolerances are the checker's own."""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import line_of

import hw1
from hw1 import mlpcheck
from hw1.gradcheck import FLOAT32_LEVEL, _name_factor, verify_gradients
from hw1.mlpcheck import CONFIGS, config_name, main, summary, verify_mlp

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # see conftest.py

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "mlp_fixtures"
RIGHT = ("mlp", "mlp_accumulating", "float32_tensors")
# file: (lines of mlp.py it removes, lines it adds), comments aside
MISTAKES = {
    "missing_1_over_K": (["J = ((y_hat - y) ** 2).mean()", "dJdy_hat = 2 * (y_hat - y) / (B * K)"],
                         ["J = ((y_hat - y) ** 2).sum(dim=1).mean()", "dJdy_hat = 2 * (y_hat - y) / B"]),
    "half_in_mse": (["J = ((y_hat - y) ** 2).mean()", "dJdy_hat = 2 * (y_hat - y) / (B * K)"],
                    ["J = ((y_hat - y) ** 2).mean() / 2", "dJdy_hat = (y_hat - y) / (B * K)"]),
    "factor_5": (["dJdz1 = dJdz2 * (z1 > 0)"], ["dJdz1 = dJdz2 * 5 * (z1 > 0)"]),
    "transposed_dW1": (['self.grads["dJdW1"] = dJdz1.T @ x'], ['self.grads["dJdW1"] = x.T @ dJdz1']),
    "flipped_sign": (["dJdy_hat = 2 * (y_hat - y) / (B * K)"], ["dJdy_hat = 2 * (y - y_hat) / (B * K)"]),
    "db2_first_row": (['self.grads["dJdb2"] = dJdz3.sum(dim=0)'],
                      ['self.grads["dJdb2"] = (dJdz3.T @ torch.ones_like(dJdz3))[0]']),
    "float32_buffers": (
        ["dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features),",
         "dJdb1=torch.zeros(linear_1_out_features),",
         "dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features),",
         "dJdb2=torch.zeros(linear_2_out_features),",
         'self.grads["dJdW2"] = dJdz3.T @ z2', 'self.grads["dJdb2"] = dJdz3.sum(dim=0)',
         'self.grads["dJdW1"] = dJdz1.T @ x', 'self.grads["dJdb1"] = dJdz1.sum(dim=0)'],
        ["dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features, dtype=torch.float32),",
         "dJdb1=torch.zeros(linear_1_out_features, dtype=torch.float32),",
         "dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features, dtype=torch.float32),",
         "dJdb2=torch.zeros(linear_2_out_features, dtype=torch.float32),",
         'self.grads["dJdW2"] += dJdz3.T @ z2', 'self.grads["dJdb2"] += dJdz3.sum(dim=0)',
         'self.grads["dJdW1"] += dJdz1.T @ x', 'self.grads["dJdb1"] += dJdz1.sum(dim=0)']),
    "float32_tensors": (['self.grads["dJdb2"] = dJdz3.sum(dim=0)', 'self.grads["dJdb1"] = dJdz1.sum(dim=0)'],
                        ['self.grads["dJdb2"] = torch.ones(len(x)) @ dJdz3',
                         'self.grads["dJdb1"] = torch.ones(len(x)) @ dJdz1']),
    "identity_missing": (['elif self.f_function == "identity":', "z2 = z1"], []),
    "k1_shapes": (['self.grads["dJdb2"] = dJdz3.sum(dim=0)'], ['self.grads["dJdb2"] = dJdz3.sum()']),
}
FILES = [*RIGHT[:2], *MISTAKES]
MARGIN = 10


def path_of(name: str) -> str:
    return str(FIXTURES / f"{name}.py")


def expected(name: str, f: str, g: str, loss: str, dtype: str) -> str | None:
    """A regex of the one-line summary (hw1.mlpcheck.summary) of ``name`` in that configuration;
    None: it passes."""
    mse = loss == "mse"
    if name == "identity_missing" and f == "identity":   # the message varies with Python's version
        return re.escape("FAIL: seed 0: candidate raised UnboundLocalError: ") + ".*" + \
            re.escape(f"\n        in {path_of(name)}, line {line_of(Path(path_of(name)), 'z3 = z2 @')}: "
                      "z3 = z2 @ W2.T + b2")
    text = {
        "missing_1_over_K": "W1 b1 W2 b2: factor K = 3; your gradients are of sum over outputs, mean over "
                            "batch (reduction=None)" if mse else None,
        "half_in_mse": "W1 b1 W2 b2: factor 1/2; your gradients are of ½·mean" if mse else None,
        "flipped_sign": "W1 b1 W2 b2: opposite sign; your gradients are of −mean" if mse else None,
        "factor_5": "W1 b1: factor 5" if f == "relu" else None,
        "transposed_dW1": "W1: shape (4, 5), expected (5, 4); transposed",
        "db2_first_row": "b2: no simple pattern",
        "float32_buffers": f"W1 b1 W2 b2: {FLOAT32_LEVEL}" if dtype == "float64" else None,
        "k1_shapes": "b2: shape (), expected (3,)",
    }.get(name)
    return None if text is None else re.escape(f"FAIL: {text}")


def code_lines(path: Path) -> list[str]:
    """The file's lines after its docstring, stripped, without comments."""
    body = path.read_text(encoding="utf-8").split('"""', 2)[2]
    return [line.split("  #")[0].strip() for line in body.splitlines()]


@pytest.mark.parametrize("name", list(MISTAKES))
def test_each_mistake_file_is_mlp_py_with_its_mistake(name):
    diff = list(difflib.ndiff(code_lines(FIXTURES / "mlp.py"), code_lines(FIXTURES / f"{name}.py")))
    removed = [line[2:] for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    assert (removed, added) == MISTAKES[name]


# -- every file, every configuration, both dtypes: verify_mlp and the command line ----------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", FILES)
def test_verify_mlp_verdicts_and_diagnoses(name, dtype):
    for f, g, loss in CONFIGS:
        report = verify_mlp(path_of(name), f, g, loss, dtype=getattr(torch, dtype))
        want = expected(name, f, g, loss, dtype)
        where = f"{name} {config_name(f, g, loss)} {dtype}\n{report}"
        assert report.dtype == dtype and report.tensors == "torch" and report.reduction == "mean"
        if want is None:
            assert report and report.ran == 5, where
            assert report.worst_ratio <= 1 / MARGIN, where
        else:
            assert not report, where
            assert re.fullmatch(want, summary(report)), where


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", FILES)
def test_the_command_line_verdicts_and_diagnoses(name, dtype):
    status, out, _ = run_main([path_of(name), "--dtype", dtype])
    wants = {c: expected(name, *c, dtype) for c in CONFIGS}
    passed = sum(w is None for w in wants.values())
    assert status == (0 if passed == len(CONFIGS) else 1)
    assert out.startswith(f"{path_of(name)}: {passed} of 12 configurations pass (torch {dtype}, "
                          f"reduction='mean')\n")
    for config, want in wants.items():
        line = re.escape(f"\n  {config_name(*config):<32}  ")
        assert re.search(line + (r"ok \(err/tol [\d.e+-]+\)\n" if want is None else want + "\n"), out), \
            (config, out)
    if passed < len(CONFIGS):   # then the whole table of the first failing configuration
        f, g, loss = next(c for c, w in wants.items() if w is not None)
        assert f"\nthe first failing configuration ({path_of(name)} --f {f} --g {g} --loss {loss}):\n" \
               f"gradient check: {config_name(f, g, loss)}, reduction=mean, torch {dtype} tensors" in out
        assert out.rstrip().endswith("=> MISMATCH")


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:   # argparse
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def test_one_configuration_prints_its_table():
    status, out, _ = run_main([path_of("transposed_dW1"), "--f", "sigmoid", "--g", "identity",
                               "--loss", "mse", "--dtype", "float64"])
    assert status == 1
    lines = out.splitlines()
    assert lines[:2] == [f"{path_of('transposed_dW1')}:",
                         "gradient check: f=sigmoid, g=identity, loss=mse, reduction=mean, torch float64 "
                         "tensors, 5 trials, tolerances 1e-10 (autograd), 1e-06 (finite diff.)"]
    assert re.search(r"\n  W1 .* FAIL: shape \(4, 5\), expected \(5, 4\); transposed\n", out)
    assert sum("FAIL" in line for line in lines) == 1 and lines[-1] == "  => MISMATCH"


def test_the_flags_select_configurations():
    _, out, _ = run_main([path_of("mlp"), "--loss", "bce"])
    assert out.startswith(f"{path_of('mlp')}: 3 of 3 configurations pass")
    _, out, _ = run_main([path_of("mlp"), "--g", "identity"])
    assert out.startswith(f"{path_of('mlp')}: 3 of 3 configurations pass") and "loss=bce" not in out
    status, _, err = run_main([path_of("mlp"), "--g", "identity", "--loss", "bce"])
    assert status == 2
    assert "no configuration has f=*, g=identity, loss=bce: bce is checked with g = sigmoid only" in err
    status, _, err = run_main([path_of("mlp"), "--f", "tanh"])
    assert status == 2 and "argument --f: invalid choice: 'tanh'" in err


# -- several files, Gradescope's results.json --------------------------------------------------------
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
KEY_WORDS = {"missing_1_over_K": "factor K = 3", "half_in_mse": "your gradients are of ½·mean",
             "flipped_sign": "opposite sign", "factor_5": "factor 5", "transposed_dW1": "transposed",
             "db2_first_row": "no simple pattern", "float32_buffers": "float32 rounding",
             "identity_missing": "UnboundLocalError", "k1_shapes": "shape (), expected (3,)"}


def check_gradescope(results: dict) -> list[dict]:
    """The fields of Gradescope's autograder results format, and their types."""
    assert isinstance(results, dict) and set(results) <= GRADESCOPE_TOP and isinstance(results["tests"], list)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output"} <= set(test) <= GRADESCOPE_TEST
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["status"] in ("passed", "failed")
        assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0.0)
    return results["tests"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_json_of_several_files_is_gradescope_results(dtype):
    status, out, _ = run_main([*map(path_of, FILES), "--json", "--dtype", dtype])
    assert status == 1
    results = json.loads(out)
    tests = check_gradescope(results)
    assert len(tests) == len(FILES) * len(CONFIGS)
    for test in tests:
        path, f, g, loss = re.fullmatch(r"(.*): f=(\w+), g=(\w+), loss=(\w+)", test["name"]).groups()
        name = Path(path).stem
        assert path == path_of(name) and test["max_score"] == 1.0
        want = expected(name, f, g, loss, dtype)
        assert test["status"] == ("passed" if want is None else "failed"), test
        assert test["output"].startswith(f"gradient check: {config_name(f, g, loss)}, reduction=mean")
        if want is None:
            assert test["output"].endswith("=> all gradients match")
        else:
            assert test["output"].endswith("=> MISMATCH") and KEY_WORDS[name] in test["output"]
    assert results["output"].splitlines() == [line_of_file(name, dtype) for name in FILES]


def line_of_file(name: str, dtype: str) -> str:
    """The line the command line prints for ``name`` among several files (a prefix of it for a
    failing one: its first failure follows)."""
    wants = [expected(name, *c, dtype) for c in CONFIGS]
    passed = sum(w is None for w in wants)
    line = f"{path_of(name)}: {'ok' if passed == 12 else 'FAIL'}, {passed} of 12 configurations pass"
    if passed < 12:
        first = next(i for i, w in enumerate(wants) if w is not None)
        got = summary(verify_mlp(path_of(name), *CONFIGS[first], dtype=getattr(torch, dtype)))
        line += f"; first failure {config_name(*CONFIGS[first])}: "
        line += got.removeprefix("FAIL: ").splitlines()[0]
    return line


def test_several_files_print_a_line_each():
    names = ["mlp", "factor_5", "k1_shapes"]
    status, out, _ = run_main([path_of(n) for n in names])
    assert status == 1
    assert out.splitlines() == [
        f"{path_of('mlp')}: ok, 12 of 12 configurations pass",
        f"{path_of('factor_5')}: FAIL, 8 of 12 configurations pass; first failure f=relu, g=relu, "
        "loss=mse: W1 b1: factor 5",
        f"{path_of('k1_shapes')}: FAIL, 0 of 12 configurations pass; first failure f=relu, g=relu, "
        "loss=mse: b2: shape (), expected (3,)"]
    assert run_main([path_of("mlp"), path_of("mlp_accumulating")])[0] == 0


# -- files that fail as a whole: one failed test with the reason -----------------------------------
def write(folder: Path, text: str, name: str = "mlp.py") -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_syntax_error_is_one_failed_test_with_its_line(tmp_path):
    source = (FIXTURES / "mlp.py").read_text(encoding="utf-8")
    broken = write(tmp_path, source.replace("    def forward(self, x):", "    def forward(self x):"))
    line = line_of(Path(broken), "def forward(self x):")
    reason = (f"{broken}: does not import: SyntaxError: ",
              f"\n        in {broken}, line {line}: def forward(self x):")
    status, out, _ = run_main([broken, path_of("mlp"), "--json"])
    assert status == 1
    tests = check_gradescope(json.loads(out))
    assert len(tests) == 1 + 12 and [t["status"] for t in tests[1:]] == ["passed"] * 12
    assert tests[0]["name"] == f"{broken}: imports and builds its MLP"
    assert (tests[0]["status"], tests[0]["score"], tests[0]["max_score"]) == ("failed", 0.0, 12.0)
    assert tests[0]["output"].startswith(reason[0]) and tests[0]["output"].endswith(reason[1])
    _, out, _ = run_main([broken])
    assert out.startswith(f"{broken}: FAIL: does not import: SyntaxError: ")
    assert out.endswith(reason[1] + "\n")
    report = verify_mlp(broken)
    assert not report and report.ran == 0 and report.problems[0].endswith(reason[1])
    assert f"  FAIL: {reason[0]}" in str(report)


def test_a_class_that_cannot_be_built_is_one_failed_test(tmp_path):
    path = write(tmp_path, "class MLP:\n    def __init__(self, n, d, K):\n        pass\n")
    status, out, _ = run_main([path, "--json"])
    tests = check_gradescope(json.loads(out))
    assert status == 1 and len(tests) == 1 and tests[0]["max_score"] == 12.0
    assert tests[0]["output"] == f"{path}: its MLP cannot be built: MLP(...) raised TypeError: " \
        "MLP.__init__() takes 4 positional arguments but 7 were given"
    assert "MLP(4, 5, 'relu', 5, 3, 'identity') raised TypeError" in verify_mlp(path).problems[0]


def test_an_mlp_failing_in_some_configurations_is_a_test_each(tmp_path):
    """f = identity refused when the MLP is built: those configurations fail, with the line."""
    source = (FIXTURES / "mlp.py").read_text(encoding="utf-8")
    path = write(tmp_path, source.replace(
        "        self.f_function = f_function\n",
        "        if f_function == 'identity':\n"
        "            raise NotImplementedError('f = identity')\n"
        "        self.f_function = f_function\n"))
    status, out, _ = run_main([path, "--json"])
    tests = check_gradescope(json.loads(out))
    failed = {t["name"] for t in tests if t["status"] == "failed"}
    assert failed == {f"{path}: {config_name(*c)}" for c in CONFIGS if c[0] == "identity"}
    line = line_of(Path(path), "raise NotImplementedError")
    for t in tests:
        if t["status"] == "failed":
            assert "  FAIL: MLP(4, 5, 'identity', 5, 3, " in t["output"]
            assert f"raised NotImplementedError: f = identity\n        in {path}, line {line}: " \
                   "raise NotImplementedError('f = identity')" in t["output"]


@pytest.mark.parametrize(("text", "reason"), [
    ("x = 1\n", "{path}: has no class MLP (it has None (NoneType))"),
    ("import no_such_module_hw1\n",
     "{path}: does not import: ModuleNotFoundError: No module named 'no_such_module_hw1'\n"
     "        in {path}, line 1: import no_such_module_hw1"),
    ("import sys\nsys.exit(3)\n",
     "{path}: does not import: StudentExit: sys.exit(3) was called\n        in {path}, line 2: sys.exit(3)"),
])
def test_a_file_that_does_not_load_says_why(tmp_path, text, reason):
    path = write(tmp_path, text)
    status, out, _ = run_main([path, "--json"])
    tests = check_gradescope(json.loads(out))
    assert status == 1 and len(tests) == 1 and tests[0]["output"] == reason.format(path=path)
    assert verify_mlp(path).problems == [reason.format(path=path)]


def test_a_missing_file_and_a_folder(tmp_path):
    missing = str(tmp_path / "nowhere.py")
    assert verify_mlp(missing).problems == [f"{missing}: no such file"]
    assert run_main([missing])[1] == f"{missing}: FAIL: no such file\n"
    assert run_main([missing, path_of("mlp")])[1].startswith(f"{missing}: FAIL: no such file\n")
    folder = tmp_path / "submission"
    folder.mkdir()
    assert verify_mlp(str(folder)).problems == [f"{folder}: a folder without mlp.py"]
    write(folder, (FIXTURES / "mlp.py").read_text(encoding="utf-8"))
    assert verify_mlp(str(folder))                       # a folder holding an mlp.py
    assert run_main([str(folder), "--loss", "bce"])[1].startswith(f"{folder}: 3 of 3 configurations pass")


# -- the interface, checked and named ------------------------------------------------------------
def course(**changes) -> str:
    """mlp.py with some lines replaced (old: new)."""
    text = (FIXTURES / "mlp.py").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(("change", "loss", "reason"), [
    ({"        self.cache = dict()\n\n    def forward": "        self.parameters = None\n\n    def forward"},
     "mse",
     "MLP(4, 5, 'relu', 5, 3, 'identity').parameters is None (NoneType); expected a dict of torch tensors "
     "W1, b1, W2, b2"),
    ({"            W1=torch.randn(linear_1_out_features, linear_1_in_features),":
      "            W1=torch.randn(linear_1_in_features, linear_1_out_features),"}, "mse",
     "MLP(4, 5, 'relu', 5, 3, 'identity').parameters['W1'] is a torch tensor of shape (4, 5), dtype "
     "torch.float32 on cpu; expected a torch tensor of shape (linear_1_out_features, linear_1_in_features) "
     "= (5, 4)"),
    ({"        return y_hat\n": "        self.y_hat = y_hat\n"}, "mse",
     "seed 0: candidate raised InterfaceError: MLP.forward(x) returned None (NoneType); expected y_hat, a "
     "torch tensor of shape (batch, linear_2_out_features) = (8, 3)"),
    ({"    return J, dJdy_hat\n\n\ndef bce_loss": "    return dJdy_hat\n\n\ndef bce_loss"}, "mse",
     "seed 0: candidate raised InterfaceError: mse_loss(y, y_hat) returned a torch tensor of shape (8, 3), "
     "dtype torch.float32 on cpu; expected the tuple (J, dJdy_hat)"),
    ({'        self.grads["dJdb1"] = dJdz1.sum(dim=0)      # (d,)\n':
      '        self.grads["db1"] = dJdz1.sum(dim=0)\n',
      "            dJdb1=torch.zeros(linear_1_out_features),\n": ""}, "mse",
     "seed 0: candidate raised InterfaceError: after backward, MLP.grads has the keys dJdW1, dJdW2, dJdb2, "
     "db1; expected dJdW1, dJdb1, dJdW2, dJdb2"),
    ({"def bce_loss(y, y_hat):": "def cross_entropy(y, y_hat):"}, "bce",
     "{path}: has no function bce_loss(y, y_hat) (it has None (NoneType))"),
])
def test_what_does_not_follow_the_interface_is_named(tmp_path, change, loss, reason):
    path = write(tmp_path, course(**change))
    report = verify_mlp(path, g="sigmoid" if loss == "bce" else "identity", loss=loss)
    assert not report and report.problems == [reason.format(path=path)], str(report)


def test_a_grads_dict_without_dJdb1_at_first_is_fine(tmp_path):
    """grads are read after backward: keys it adds there count."""
    path = write(tmp_path, course(**{"            dJdb1=torch.zeros(linear_1_out_features),\n": ""}))
    assert verify_mlp(path)


# -- the student's code runs in the check's dtype; the caller's state is left as it was ----------
def test_the_student_code_runs_with_the_default_dtype_of_the_check():
    seen = []

    class Recording(mlpcheck.load(path_of("mlp")).MLP):
        def __init__(self, *args):
            seen.append(("init", torch.get_default_dtype()))
            super().__init__(*args)

        def forward(self, x):
            seen.append(("forward", torch.get_default_dtype(), x.dtype))
            return super().forward(x)

    module = mlpcheck.load(path_of("mlp"))
    for dtype in (torch.float64, torch.float32):
        seen.clear()
        assert verify_mlp((Recording, module.losses["mse"], None), dtype=dtype, seeds=range(2))
        assert seen == [("init", dtype), ("forward", dtype, dtype), ("forward", dtype, dtype)]
    assert torch.get_default_dtype() == torch.float32


def test_the_default_dtype_and_the_rng_are_restored_also_after_an_exception():
    torch.manual_seed(0)
    draws = torch.rand(3)
    torch.manual_seed(0)
    report = verify_mlp(path_of("identity_missing"), f="identity", dtype=torch.float64)
    assert not report and "UnboundLocalError" in report.problems[0]
    assert torch.get_default_dtype() == torch.float32
    assert torch.equal(torch.rand(3), draws)     # MLP.__init__'s torch.randn drew from a fork


def test_float32_tensors_made_inside_would_crash_a_float64_check_without_the_default_dtype():
    """What setting the default dtype is for: the same file, its MLP built in float64 but run with
    float32 as the default dtype, fails where it makes torch.ones(B) (float32) and multiplies it
    with float64 tensors."""
    loaded = mlpcheck.load(path_of("float32_tensors"))
    net = mlpcheck.build(loaded, "relu", "identity", 4, 5, 3, torch.float64)
    candidate = mlpcheck.adapter(net, loaded.losses["mse"], "mse", torch.float32)
    report = verify_gradients(candidate, f="relu", tensors="torch", dtype="float64", reduction="mean")
    assert not report and "candidate raised RuntimeError" in report.problems[0], str(report)
    assert report.problems[0].endswith(": self.grads[\"dJdb2\"] = torch.ones(len(x)) @ dJdz3   # (K,)")
    assert verify_mlp(path_of("float32_tensors"), dtype=torch.float64)


def test_sys_exit_in_the_student_code_is_a_failure_with_its_line(tmp_path):
    exiting = course(**{"        z1 = x @ W1.T + b1\n": "        sys.exit('no')\n"})
    path = write(tmp_path, exiting + "import sys\n")
    status, out, _ = run_main([path, "--json"])
    tests = check_gradescope(json.loads(out))
    assert status == 1 and [t["status"] for t in tests] == ["failed"] * 12
    assert f"FAIL: seed 0: candidate raised StudentExit: sys.exit('no') was called\n        in {path}, " \
           f"line {line_of(Path(path), 'sys.exit(')}: sys.exit('no')" in tests[0]["output"]


@pytest.mark.parametrize("name", ["mlp", "mlp_accumulating"])
def test_a_float32_computation_in_a_float64_check_is_named_float32_rounding(name):
    """The whole computation in float32 (its MLP built in float32, x and y rounded to float32):
    every gradient fails a float64 check and is called float32 rounding, in every configuration
    (its bound derived with rounded inputs, gradcheck's docstring)."""
    loaded = mlpcheck.load(path_of(name))
    for f, g, loss in CONFIGS:
        net = mlpcheck.build(loaded, f, g, 4, 5, 3, torch.float32)
        candidate = mlpcheck.adapter(net, loaded.losses[loss], loss, torch.float32)
        report = verify_gradients(lambda p, x, y, c=candidate: c(p, x.float(), y.float()), f=f, g=g,
                                  loss=loss, tensors="torch", dtype="float64", reduction="mean",
                                  seeds=range(10))
        assert [r.diagnosis for r in report.rows] == [FLOAT32_LEVEL] * 4, str(report)


def test_what_the_student_code_prints_goes_to_stderr(tmp_path):
    printing = course(**{"        z1 = x @ W1.T + b1\n":
                         "        print('z1 next')\n        z1 = x @ W1.T + b1\n"})
    path = write(tmp_path, printing + "print('imported')\n")
    status, out, err = run_main([path, "--json", "--loss", "bce"])
    assert status == 0 and check_gradescope(json.loads(out))
    assert err.startswith("imported\nz1 next\n")


# -- sources and arguments --------------------------------------------------------------------------
def test_a_module_and_a_tuple_are_sources_too():
    module = mlpcheck._import(FIXTURES / "half_in_mse.py", "half_in_mse.py", torch.float32)
    for source in (module, (module.MLP, module.mse_loss, module.bce_loss)):
        report = verify_mlp(source, f="sigmoid", g="relu")
        assert not report and [r.diagnosis for r in report.rows] == ["factor 1/2"] * 4
        assert verify_mlp(source, f="sigmoid", g="sigmoid", loss="bce")


def test_hw1_verify_mlp_is_the_lazy_name():
    assert hw1.verify_mlp is verify_mlp and "verify_mlp" in hw1.__all__


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"source": 3}, r"source must be a path to an mlp\.py, a module, or a tuple \(MLP, mse_loss, bce_loss\), "
                    r"got 3 \(int\)"),
    ({"source": (1, 2)}, r"a tuple source must be \(MLP, mse_loss, bce_loss\).*got a tuple of length 2"),
    ({"f": "5relu"}, r"f must be one of the course's activations relu, sigmoid, identity, "
                     r"got '5relu' \(str\)"),
    ({"g": "tanh"}, r"g must be one of the course's activations .*got 'tanh'"),
    ({"loss": "l1"}, r"loss must be 'mse' or 'bce' \(the course's mse_loss, bce_loss\), got 'l1'"),
    ({"loss": "bce"}, r"loss='bce' needs g='sigmoid' \(bce_loss takes probabilities\), got g='identity'"),
    ({"dtype": torch.float16}, r"dtype must be float32 or float64"),
    ({"reduction": "none"}, r"reduction must be 'mean' \(the course's\), 'sum' or None \(hw1's convention\), "
                            r"got 'none'"),
    ({"K": 0}, r"K must be a positive integer, got 0"),
    ({"seeds": 5}, r"seeds must be an iterable of integers, e\.g\. range\(5\), got 5 \(int\)"),
])
def test_bad_arguments_name_what_was_wrong(kwargs, match):
    kwargs = {"source": path_of("mlp"), **kwargs}
    with pytest.raises(ValueError, match=match):
        verify_mlp(**kwargs)


# -- ½ and the loss conventions, named --------------------------------------------------------------
def test_the_half_is_named_under_every_reduction():
    """½ in the MSE, and ½ with the 1/K missing as well, checked against each convention."""
    module = mlpcheck._import(FIXTURES / "mlp.py", "mlp.py", torch.float32)

    def half_without_1_over_K(y, y_hat):
        return None, (y_hat - y) / y.shape[0]
    cases = [(path_of("half_in_mse"), "mean", "factor 1/2", "½·mean"),
             (path_of("half_in_mse"), "sum", "factor 1/(2*B*K) = 1/48", "½·mean"),
             (path_of("half_in_mse"), None, "factor 1/(2*K) = 1/6", "½·mean"),
             ((module.MLP, half_without_1_over_K, None), "mean", "factor K/2 = 3/2",
              "½·(sum over outputs, mean over batch)"),
             ((module.MLP, half_without_1_over_K, None), "sum", "factor 1/(2*B) = 1/16",
              "½·(sum over outputs, mean over batch)"),
             ((module.MLP, half_without_1_over_K, None), None, "factor 1/2",
              "½·(sum over outputs, mean over batch)")]
    for source, reduction, diagnosis, convention in cases:
        for dtype in (torch.float32, torch.float64):
            report = verify_mlp(source, dtype=dtype, reduction=reduction)
            assert [r.diagnosis for r in report.rows] == [diagnosis] * 4, str(report)
            assert report.convention == convention
            ours = {"mean": "mean", "sum": "sum", None: "sum over outputs, mean over batch"}[reduction]
            assert f"  note: all four gradients show {diagnosis}: your gradients are of {convention}, " \
                   f"this check's are of {ours}\n" in str(report)


def test_factor_names():
    close = 1e-6
    alphas = (1.5, 1 / 16, 1 / 6, 1 / 48, 6, 16, 40, 0.6, 2 / 3, 24)
    assert [_name_factor(a, 8, 3, close) for a in alphas] == [
        "factor K/2 = 3/2", "factor 1/(2*B) = 1/16", "factor 1/(2*K) = 1/6", "factor 1/(2*B*K) = 1/48",
        "factor 2*K = 6", "factor 2*B = 16", "factor 5*B = 40", "factor K/5 = 3/5", "factor 2/K = 2/3",
        "factor B*K = 24"]
    # names sharing a value are all listed; a size before a constant, a constant before a product
    assert _name_factor(1.5, 3, 3, close) == "factor B/2 = K/2 = 3/2"
    assert _name_factor(2, 4, 3, close) == "factor 2"                    # not B/2
    assert _name_factor(2, 2, 3, close) == "factor B = 2"
    assert _name_factor(10, 8, 3, close) == "factor 10"                  # 2 * 5: no name, its digits


def test_k1_shapes_fail_for_K_1_too():
    """The course's test (the norm of a difference, which broadcasts) passes dJdb2 = dJdz3.sum()
    when K = 1; its shape () is still not b2's (1,)."""
    report = verify_mlp(path_of("k1_shapes"), K=1)
    assert not report and summary(report) == "FAIL: b2: shape (), expected (1,)"


def test_python_m_hw1_gradcheck(tmp_path):
    """The real entry point, in a fresh interpreter, from the file's folder."""
    (tmp_path / "mlp.py").write_text((FIXTURES / "flipped_sign.py").read_text(encoding="utf-8"))
    run = subprocess.run([sys.executable, "-m", "hw1.gradcheck", "mlp.py", "--loss", "bce"], cwd=tmp_path,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         timeout=300)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout.startswith("mlp.py: 3 of 3 configurations pass (torch float32, reduction='mean')\n")
    run = subprocess.run([sys.executable, "-m", "hw1.gradcheck", "mlp.py", "--f", "relu", "--g", "relu"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert run.returncode == 1
    assert "  note: all four gradients show opposite sign: your gradients are of −mean, this check's " \
           "are of mean\n" in run.stdout
