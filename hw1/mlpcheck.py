"""``verify_mlp``: check a course-style ``mlp.py`` as students write it, with ``verify_gradients``
and no adapter to write; and the command line ``python -m hw1.gradcheck mlp.py ...`` (``main``).

The course's interface (its implementation exercise, where Problem 1's questions come from)::

    class MLP:
        def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                     linear_2_in_features, linear_2_out_features, g_function): ...
        parameters   # dict of torch tensors: W1 (d, n), b1 (d,), W2 (K, d), b2 (K,)
        grads        # dict: dJdW1, dJdb1, dJdW2, dJdb2
        def forward(self, x): ...              # x (B, n) -> y_hat (B, K)
        def backward(self, dJdy_hat): ...      # fills grads
        def clear_grad_and_cache(self): ...
    def mse_loss(y, y_hat): ...                # -> (J, dJdy_hat)
    def bce_loss(y, y_hat): ...                # -> (J, dJdy_hat)

with f_function, g_function in "relu", "sigmoid", "identity"; its own test compares with autograd
for torch.nn.MSELoss and BCELoss, the mean over all B*K entries (here ``reduction="mean"``).

Mechanism.  ``verify_mlp`` runs ``verify_gradients(candidate, tensors="torch", dtype=...,
reduction=...)`` and returns its report.  The candidate is an adapter doing what the course's test
does: the MLP is built once, ``MLP(n, d, f, d, K, g)``; in each trial the problem's parameters are
copied into ``net.parameters`` in place (names the student bound to those tensors see them), then
``clear_grad_and_cache()``, ``y_hat = forward(x)``, ``J, dJdy_hat = <loss>_loss(y, y_hat)``,
``backward(dJdy_hat)``, and ``net.grads`` is read back under verify_gradients' names (dJdW1 as
W1, ...), copied (the next trial's clear_grad_and_cache may zero those tensors in place).

The student's code (importing the file, building the MLP, every call) runs inside ``student_code``:
torch's default dtype set to the check's, restored after (also on an exception), so that tensors
it creates itself (``torch.zeros(d, n)``, ``torch.ones(B)``) have the problem's dtype; and a forked
torch RNG, so that its ``torch.randn`` does not move the caller's.

A broken file is reported, never raised: a file that does not import (a SyntaxError with its file,
line and source line), an MLP that cannot be built or does not have the interface, an exception in
forward, the loss or backward (verify_gradients shows the student's file, line and source line),
wrong gradients (diagnosed by verify_gradients).  Only bad arguments raise ValueError.

``python -m hw1.gradcheck PATH [PATH ...] [--f F] [--g G] [--loss L] [--dtype float32|float64]
[--reduction mean|sum|none] [--json]`` checks each file in every configuration of ``CONFIGS`` (f, g
in relu, sigmoid, identity with mse; f in those three with g = sigmoid and bce), or in those the
flags select; it prints a report per file (the whole table for a single configuration), one line
per file when given several, or with ``--json`` Gradescope's autograder ``results.json`` (see
``gradescope``).  Exit status 0 when every configuration of every file passes, 1 otherwise, 2 for
bad arguments.  What the student's code prints goes to stderr, never into the report."""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import json
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from hw1._validate import describe, is_torch_tensor, positive_int
from hw1.gradcheck import (
    RTOL_AUTOGRAD,
    RTOL_FD,
    GradientReport,
    ParamCheck,
    _float_dtype,
    _raised_in,
    verify_gradients,
)
from hw1.net import PARAM_NAMES

ACTIVATIONS = ("relu", "sigmoid", "identity")     # the course's f_function and g_function
LOSSES = ("mse", "bce")
CONFIGS = [(f, g, "mse") for f in ACTIVATIONS for g in ACTIVATIONS] + \
    [(f, "sigmoid", "bce") for f in ACTIVATIONS]
GRAD_KEYS = {k: f"dJd{k}" for k in PARAM_NAMES}  # verify_gradients' name -> the course's
REDUCTIONS = {"mean": "mean", "sum": "sum", "none": None}   # the command line's spelling
SIZES = (4, 5, 3)   # n, d, K: verify_gradients' defaults, where 2, 5, B = 8, K = 3 and their products differ
_module_ids = itertools.count()


class InterfaceError(Exception):
    """A course file or its MLP that does not do what the course's interface says."""


class StudentExit(Exception):
    """The student's code called sys.exit(): a failure to report, not the end of the check."""


@dataclass
class CourseFile:
    """A loaded course file: its name in reports, its MLP class and its loss functions."""

    name: str
    MLP: type
    losses: dict[str, Callable | None] = field(default_factory=dict)   # "mse", "bce" -> function


@contextlib.contextmanager
def student_code(dtype: torch.dtype):
    """Run the student's code with torch's default dtype set to ``dtype`` (restored after, also on
    an exception) and a forked torch RNG (its random draws leave the caller's unchanged); a
    sys.exit() in it raises StudentExit (with its traceback, to say where)."""
    previous = torch.get_default_dtype()
    with torch.random.fork_rng(devices=[]):
        torch.set_default_dtype(dtype)
        try:
            yield
        except SystemExit as exc:
            raise StudentExit(f"sys.exit({exc.code!r}) was called").with_traceback(exc.__traceback__) \
                from None
        finally:
            torch.set_default_dtype(previous)


def load(source, dtype=torch.float32) -> CourseFile:
    """The course file ``source``: a path to an ``mlp.py`` (or to a folder holding one), a module,
    or a tuple ``(MLP, mse_loss, bce_loss)`` (a loss may be None).  Raises InterfaceError when the
    file is missing, does not import or has no class MLP; ValueError for another kind of source."""
    if isinstance(source, CourseFile):
        return source
    if isinstance(source, tuple):
        if len(source) != 3 or not isinstance(source[0], type):
            raise ValueError(f"a tuple source must be (MLP, mse_loss, bce_loss), the class and its loss "
                             f"functions (a loss may be None), got {describe(source)}")
        cls, mse, bce = source
        return CourseFile(cls.__name__, cls, {"mse": mse, "bce": bce})
    if isinstance(source, (str, os.PathLike)):
        module, name = _import(Path(source), str(source), dtype), str(source)
    elif isinstance(source, types.ModuleType):
        module, name = source, source.__name__
    else:
        raise ValueError(f"source must be a path to an mlp.py, a module, or a tuple (MLP, mse_loss, "
                         f"bce_loss), got {describe(source)}")
    cls = getattr(module, "MLP", None)
    if not isinstance(cls, type):
        raise InterfaceError(f"{name}: has no class MLP (it has {describe(cls)})")
    return CourseFile(name, cls, {loss: getattr(module, f"{loss}_loss", None) for loss in LOSSES})


def _import(path: Path, shown: str, dtype: torch.dtype) -> types.ModuleType:
    """Execute the file at ``path`` (or the mlp.py in the folder ``path``) as a new module (its
    folder on sys.path meanwhile, for its own imports; no bytecode written beside it); ``shown``
    is ``path`` as messages say it."""
    filename = shown                 # the file's name in tracebacks
    if path.is_dir():
        if not (path / "mlp.py").is_file():
            raise InterfaceError(f"{shown}: a folder without mlp.py")
        path, filename = path / "mlp.py", os.path.join(shown, "mlp.py")
    if not path.is_file():
        raise InterfaceError(f"{shown}: no such file")
    try:
        code = compile(path.read_bytes(), filename, "exec")
    except SyntaxError as exc:
        text = f": {exc.text.strip()}" if exc.text else ""
        raise InterfaceError(f"{shown}: does not import: SyntaxError: {exc.msg}\n"
                             f"        in {exc.filename}, line {exc.lineno}{text}") from None
    except (ValueError, OSError) as exc:   # null bytes, an unreadable file
        raise InterfaceError(f"{shown}: does not import: {type(exc).__name__}: {exc}") from None
    module = types.ModuleType(f"_hw1_course_mlp_{next(_module_ids)}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module        # (dataclasses and pickling look the module up)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        with student_code(dtype):
            exec(code, module.__dict__)   # noqa: S102 -- the point: run the student's file
    except Exception as exc:
        del sys.modules[module.__name__]
        raise InterfaceError(f"{shown}: does not import: {type(exc).__name__}: {exc}{_raised_in(exc)}") \
            from None
    finally:
        sys.path.remove(folder)
    return module


def _shapes(n: int, d: int, K: int) -> dict[str, tuple]:
    return {"W1": (d, n), "b1": (d,), "W2": (K, d), "b2": (K,)}


WHAT_SHAPE = {"W1": "(linear_1_out_features, linear_1_in_features)", "b1": "(linear_1_out_features,)",
              "W2": "(linear_2_out_features, linear_2_in_features)", "b2": "(linear_2_out_features,)"}


def build(course: CourseFile, f: str, g: str, n: int, d: int, K: int, dtype: torch.dtype):
    """``MLP(n, d, f, d, K, g)`` with the course's interface, built as student code; raises
    InterfaceError saying what is missing or what it raised."""
    call = f"MLP({n}, {d}, {f!r}, {d}, {K}, {g!r})"
    try:
        with student_code(dtype):
            net = course.MLP(n, d, f, d, K, g)
    except Exception as exc:
        raise InterfaceError(f"{call} raised {type(exc).__name__}: {exc}{_raised_in(exc)}") from None
    params = getattr(net, "parameters", None)
    if not isinstance(params, dict):
        raise InterfaceError(f"{call}.parameters is {describe(params)}; expected a dict of torch "
                             f"tensors {', '.join(PARAM_NAMES)}")
    for k, shape in _shapes(n, d, K).items():
        p = params.get(k)
        if not (is_torch_tensor(p) and tuple(p.shape) == shape):
            raise InterfaceError(f"{call}.parameters[{k!r}] is {describe(p)}; expected a torch tensor of "
                                 f"shape {WHAT_SHAPE[k]} = {shape}")
    methods = ("forward", "backward", "clear_grad_and_cache")
    missing = [m for m in methods if not callable(getattr(net, m, None))]
    if missing:
        raise InterfaceError(f"{call} has no method {', '.join(missing)}")
    return net


def _copy(value):
    """A copy of a gradient the student's net holds (its next clear_grad_and_cache may zero it)."""
    if is_torch_tensor(value):
        return value.detach().clone()
    try:
        return copy.deepcopy(value)
    except Exception:   # whatever it is, verify_gradients says what is wrong with it
        return value


def adapter(net, loss_fn: Callable, loss: str, dtype: torch.dtype) -> Callable:
    """verify_gradients' candidate(params, x, y) -> {"W1": ..., ...}, run on the student's ``net``
    as the course's test does (see the module docstring)."""
    def candidate(params, x, y):
        with student_code(dtype):
            with torch.no_grad():
                for k in PARAM_NAMES:
                    net.parameters[k].copy_(params[k])
            net.clear_grad_and_cache()
            y_hat = net.forward(x)
            if not (is_torch_tensor(y_hat) and y_hat.shape == y.shape):
                raise InterfaceError(f"MLP.forward(x) returned {describe(y_hat)}; expected y_hat, a torch "
                                     f"tensor of shape (batch, linear_2_out_features) = {tuple(y.shape)}")
            out = loss_fn(y, y_hat)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise InterfaceError(f"{loss}_loss(y, y_hat) returned {describe(out)}; expected the "
                                     f"tuple (J, dJdy_hat)")
            net.backward(out[1])
            grads, keys = net.grads, ", ".join(GRAD_KEYS.values())
            if not isinstance(grads, dict):
                raise InterfaceError(f"after backward, MLP.grads is {describe(grads)}; expected a dict "
                                     f"with the keys {keys}")
            if any(key not in grads for key in GRAD_KEYS.values()):
                raise InterfaceError(f"after backward, MLP.grads has the keys {', '.join(map(str, grads))}; "
                                     f"expected {keys}")
            return {k: _copy(grads[key]) for k, key in GRAD_KEYS.items()}
    return candidate


def verify_mlp(source, f: str = "relu", g: str = "identity", loss: str = "mse", dtype=torch.float32,
               reduction: str | None = "mean", *, n: int = SIZES[0], d: int = SIZES[1], K: int = SIZES[2],
               batch: int = 8,
               seeds=range(5)) -> GradientReport:
    """Check the backprop of a course-style MLP (see the module docstring) in one configuration.

    ``source``: a path to an ``mlp.py`` (or a folder holding it), a module, or the tuple
    ``(MLP, mse_loss, bce_loss)``.  ``f``, ``g``: "relu", "sigmoid" or "identity"; ``loss``:
    "mse" or "bce" (with g = "sigmoid").  ``dtype``: float32 (default, as students run it) or
    float64; the student's code runs with it as torch's default dtype.  ``reduction``: "mean"
    (default, the course's torch.nn.MSELoss and BCELoss), "sum" or None (hw1's convention), as in
    ``verify_gradients``, as are ``n``, ``d``, ``K``, ``batch``, ``seeds``.

    Returns verify_gradients' report.  A file that does not import, an MLP that cannot be built
    and a missing loss function give a failing report with the reason (``report.problems``)."""
    if f not in ACTIVATIONS or g not in ACTIVATIONS:
        bad = ("f", f) if f not in ACTIVATIONS else ("g", g)
        raise ValueError(f"{bad[0]} must be one of the course's activations {', '.join(ACTIVATIONS)}, "
                         f"got {describe(bad[1])}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be 'mse' or 'bce' (the course's mse_loss, bce_loss), "
                         f"got {describe(loss)}")
    if loss == "bce" and g != "sigmoid":
        raise ValueError(f"loss='bce' needs g='sigmoid' (bce_loss takes probabilities), got g={g!r}")
    if not (reduction is None or (isinstance(reduction, str) and reduction in ("mean", "sum"))):
        raise ValueError(f"reduction must be 'mean' (the course's), 'sum' or None (hw1's convention), "
                         f"got {describe(reduction)}")
    name = _float_dtype(dtype)
    t = getattr(torch, name)
    n, d, K, batch = (positive_int(k, v) for k, v in (("n", n), ("d", d), ("K", K), ("batch", batch)))
    try:
        seeds = list(seeds)
    except TypeError:
        raise ValueError(f"seeds must be an iterable of integers, e.g. range(5), got {describe(seeds)}") \
            from None

    def failed(problem: str) -> GradientReport:
        rows = [ParamCheck(k, shape) for k, shape in _shapes(n, d, K).items()]
        fixed = name == "float64"
        return GradientReport(f, g, loss, len(seeds), rows, RTOL_AUTOGRAD if fixed else None,
                              RTOL_FD if fixed else None, problems=[problem], reduction=reduction,
                              tensors="torch", dtype=name, ran=0)
    try:
        course = load(source, t)
        net = build(course, f, g, n, d, K, t)
        loss_fn = course.losses.get(loss)
        if not callable(loss_fn):
            raise InterfaceError(f"{course.name}: has no function {loss}_loss(y, y_hat) "
                                 f"(it has {describe(loss_fn)})")
    except InterfaceError as exc:
        return failed(str(exc))
    return verify_gradients(adapter(net, loss_fn, loss, t), f=f, g=g, loss=loss, n=n, d=d, K=K,
                            batch=batch, seeds=seeds, tensors="torch", dtype=name, reduction=reduction)


# -- the command line ------------------------------------------------------------------------------
def config_name(f: str, g: str, loss: str) -> str:
    return f"f={f}, g={g}, loss={loss}"


@dataclass
class FileCheck:
    """One file checked in some configurations: a report for each, or one failure for the file
    (it does not import, or its MLP cannot be built in any of them, for the same reason), a
    message that starts with the path."""

    path: str
    configs: list[tuple[str, str, str]]
    reports: dict[tuple[str, str, str], GradientReport] = field(default_factory=dict)
    failure: str = ""

    def __bool__(self) -> bool:
        return not self.failure and all(self.reports.values())

    @property
    def passed(self) -> int:
        return sum(bool(r) for r in self.reports.values())


def check_file(path: str, configs, dtype: torch.dtype, reduction: str | None) -> FileCheck:
    result = FileCheck(path, list(configs))
    try:
        course = load(path, dtype)
    except InterfaceError as exc:
        result.failure = str(exc)
        return result
    reasons = set()
    n, d, K = SIZES
    for f, g, _ in configs:   # an MLP that cannot be built, and always for the same reason: one failure
        try:
            build(course, f, g, n, d, K, dtype)
        except InterfaceError as exc:
            reasons.add(str(exc).replace(f"MLP({n}, {d}, {f!r}, {d}, {K}, {g!r})", "MLP(...)"))
        else:
            reasons.add("")
    if len(reasons) == 1 and "" not in reasons:
        result.failure = f"{path}: its MLP cannot be built: {reasons.pop()}"
        return result
    for config in configs:
        result.reports[config] = verify_mlp(course, *config, dtype=dtype, reduction=reduction,
                                            n=n, d=d, K=K)
    return result


def summary(report: GradientReport) -> str:
    """One line for a configuration: 'ok (err/tol ...)', or 'FAIL: ' and what is wrong."""
    if report:
        return f"ok (err/tol {report.worst_ratio:.2g})"
    if report.problems:
        return "FAIL: " + report.problems[0]
    groups: dict[str, list[str]] = {}
    for r in report.rows:
        verdict = report.verdict(r)
        if verdict != "ok":
            groups.setdefault(verdict.removeprefix("FAIL: ").removeprefix("FAIL"), []).append(r.name)
    return "FAIL: " + "; ".join([f"{' '.join(names)}: {what}" if what else " ".join(names)
                                 for what, names in groups.items()] +
                                ([f"your gradients are of {report.convention}"] if report.convention else []))


def file_report(result: FileCheck, dtype: str, reduction: str | None) -> str:
    """The text ``main`` prints for one file given alone."""
    if result.failure:
        return f"{result.path}: FAIL: {result.failure.removeprefix(result.path + ': ')}"
    if len(result.configs) == 1:
        return f"{result.path}:\n{next(iter(result.reports.values()))}"
    total = len(result.configs)
    lines = [f"{result.path}: {result.passed} of {total} configurations pass "
             f"(torch {dtype}, reduction={reduction if reduction is None else repr(reduction)})"]
    width = max(len(config_name(*c)) for c in result.configs)
    lines += [f"  {config_name(*c):<{width}}  {summary(r)}" for c, r in result.reports.items()]
    failing = [c for c, r in result.reports.items() if not r]
    if failing:
        f, g, loss = failing[0]
        lines += ["", f"the first failing configuration ({result.path} --f {f} --g {g} --loss {loss}):",
                  str(result.reports[failing[0]])]
    return "\n".join(lines)


def file_line(result: FileCheck) -> str:
    """One line for a file among several."""
    if result.failure:
        return file_report(result, "", None).splitlines()[0]
    total = len(result.configs)
    line = f"{result.path}: {'ok' if result else 'FAIL'}, {result.passed} of {total} configurations pass"
    failing = [(c, r) for c, r in result.reports.items() if not r]
    if failing:
        line += f"; first failure {config_name(*failing[0][0])}: " + \
            summary(failing[0][1]).removeprefix("FAIL: ").splitlines()[0]
    return line


def gradescope(results: list[FileCheck]) -> dict:
    """Gradescope's autograder results (``results.json``): a test per file and configuration,
    named "<path>: f=<f>, g=<g>, loss=<loss>", worth 1, "passed" or "failed", its output the
    report with the diagnosis; a file that fails as a whole is one failed test worth as much as
    its configurations, its output the reason.  The top-level output has a line per file."""
    tests = []
    for result in results:
        if result.failure:
            tests.append({"name": f"{result.path}: imports and builds its MLP", "score": 0.0,
                          "max_score": float(len(result.configs)), "status": "failed",
                          "output": result.failure})
            continue
        for config, report in result.reports.items():
            tests.append({"name": f"{result.path}: {config_name(*config)}", "score": float(bool(report)),
                          "max_score": 1.0, "status": "passed" if report else "failed",
                          "output": str(report)})
    return {"output": "\n".join(file_line(r) for r in results), "tests": tests}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hw1.gradcheck",
        description="Check the backprop of course-style mlp.py files (class MLP, mse_loss, bce_loss) "
                    "against autograd and finite differences, in every configuration or the one given.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="an mlp.py, or a folder holding one")
    parser.add_argument("--f", choices=ACTIVATIONS, help="check only this f_function")
    parser.add_argument("--g", choices=ACTIVATIONS, help="check only this g_function")
    parser.add_argument("--loss", choices=LOSSES, help="check only this loss (bce with g = sigmoid)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="the problem's dtype, and torch's default dtype for the student's code")
    parser.add_argument("--reduction", choices=list(REDUCTIONS), default="mean",
                        help="what the gradients are of: the mean (the course's), the sum over all "
                             "B*K entries, or none: hw1's convention")
    parser.add_argument("--json", action="store_true", help="print Gradescope's results.json")
    args = parser.parse_args(argv)
    configs = [(f, g, loss) for f, g, loss in CONFIGS
               if args.f in (None, f) and args.g in (None, g) and args.loss in (None, loss)]
    if not configs:
        parser.error(f"no configuration has {config_name(args.f or '*', args.g or '*', args.loss or '*')}: "
                     "bce is checked with g = sigmoid only")
    dtype, reduction = getattr(torch, args.dtype), REDUCTIONS[args.reduction]
    if hasattr(sys.stdout, "reconfigure"):   # "½·mean" on a terminal that cannot show ½
        sys.stdout.reconfigure(errors="backslashreplace")
    with contextlib.redirect_stdout(sys.stderr):   # what the student's code prints
        results = [check_file(path, configs, dtype, reduction) for path in args.paths]
    if args.json:
        print(json.dumps(gradescope(results), indent=1))
    elif len(results) == 1:
        print(file_report(results[0], args.dtype, reduction))
    else:
        print("\n".join(file_line(r) for r in results))
    return 0 if all(results) else 1
