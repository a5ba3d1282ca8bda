"""Running a declaration: import its module, hand it its inputs, check what it returns.

The build runs declarations on the data its cache holds (``hw1.engine.store``, in worker
processes: ``hw1.engine.workers``); ``Runner`` runs them in the process that holds it, on
inputs computed afresh (``hw1.claims.all_claims()``) or given (``invoke check``, which runs one
in a worker for each declaration).  Either way an experiment's data reaches its readers after a
JSON round trip, so a fresh run and a cached one see exactly the same numbers.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from hw1.engine import paths
from hw1.engine.declare import Declared, declared
from hw1.engine.discover import Declaration


class DeclarationError(Exception):
    """A declaration cannot be run as declared; the message starts with its file:line."""


def load(decl: Declaration) -> tuple[Callable, Declared]:
    """The function behind ``decl`` and what its decorator recorded."""
    if str(paths.ROOT) not in sys.path:     # the document's modules are imported from the project
        sys.path.insert(0, str(paths.ROOT))
    module = importlib.import_module(decl.module)
    fn = getattr(module, decl.function, None)
    record = declared(fn)
    if record is None or record.kind != decl.kind:
        raise DeclarationError(f"{decl.where}: {decl.function} is not a @{decl.kind} declaration when "
                               f"{decl.module} is imported (is the name rebound later in the module?)")
    return fn, record


def jsonable(value, where: str = "result"):
    """``value`` with numpy arrays and scalars, tuples and numbers turned into JSON types."""
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"{where} has a key {bad[0]!r} that is not a string")
        return {k: jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
        return jsonable(value.tolist(), where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{where} is a {type(value).__name__}, which cannot be stored as data: return "
                    "numbers, strings, lists, dicts or numpy arrays")


def encode(data) -> str:
    return json.dumps(data, sort_keys=True)


def experiment_data(fn: Callable, record: Declared, inputs: Mapping) -> str:
    """Run an experiment and return its data as JSON text."""
    result = fn(**record.options, **inputs)
    if not isinstance(result, dict):
        raise TypeError(f"returned {type(result).__name__}; an experiment returns a dict of data")
    return encode(jsonable(result))


def call(fn: Callable, inputs: Mapping):
    """``fn`` called with the inputs its parameters name."""
    wanted = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in inputs.items() if k in wanted})


class ClaimDoesNotHold(Exception):
    """A claim's formula disagrees with its references; the message says by how much."""


def write_output(decl: Declaration, inputs: Mapping, temp: Path) -> None:
    """Run ``decl`` on ``inputs`` and write its output to ``temp``: an experiment's data, a
    value's or a claim's LaTeX fragment, a figure's PDF.  This is the engine code that every
    artifact's key holds (``store.ENGINE``): a change here recomputes what it writes."""
    from hw1.engine import fragments

    fn, record = load(decl)
    if decl.kind == "experiment":
        temp.write_text(experiment_data(fn, record, inputs), encoding="utf-8")
    elif decl.kind == "value":
        o = record.options
        latex = fragments.format_value(call(fn, inputs), digits=o["digits"], decimals=o["decimals"],
                                       sci_=o["sci"])
        temp.write_text(fragments.value_fragment(decl.name, decl.where, latex), encoding="utf-8")
    elif decl.kind == "claim":
        from hw1.engine import claims

        claim = claims.make(decl.name, fn, record.options, inputs, where=decl.where,
                            order=paths.CONFIG["claim_order"])
        result = claim.verify()
        if result.error is not None:   # reported like any error in the author's code
            raise result.error
        if not result.ok:
            measured = "" if result.reason else (
                f"; max rel. error {result.max_rel_err:.2e} over {result.points} points, "
                f"tolerance {result.tol:.0e}, against {result.method}")
            raise ClaimDoesNotHold(f"claim {decl.name} does not hold ({decl.where}): "
                                   f"{result.reason or 'error above tolerance'}{measured}")
        temp.write_text(fragments.claim_fragment(decl.name, decl.where, claim.latex, claim.space,
                                                 result.max_rel_err, result.method, result.points),
                        encoding="utf-8")
    elif decl.kind == "figure":
        fig = call(fn, inputs)
        if not hasattr(fig, "savefig"):
            raise TypeError(f"returned {type(fig).__name__}; a figure returns the matplotlib Figure it drew")
        import matplotlib.pyplot as plt

        # no date or creator that would change from build to build
        fig.savefig(temp, format="pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})
        plt.close(fig)


class Runner:
    """Runs declarations in this process, each experiment they read computed once, afresh."""

    def __init__(self, found: list[Declaration] | None = None, data: Mapping[str, object] | None = None):
        """``data``: experiments' data already computed, by name (not computed again)."""
        from hw1.engine import discover

        self.found = discover.declarations() if found is None else found
        self.by_name = {d.name: d for d in self.found}
        self._data: dict[str, object] = dict(data or {})

    def data(self, name: str):
        if name not in self._data:
            decl = self.by_name[name]
            fn, record = load(decl)
            self._data[name] = json.loads(experiment_data(fn, record, self.inputs(decl)))
        return self._data[name]

    def inputs(self, decl: Declaration) -> dict:
        return {name.partition(".")[2]: self.data(name) for name in decl.inputs}

    def claim(self, decl: Declaration):
        from hw1.engine import claims

        fn, record = load(decl)
        return claims.make(decl.name, fn, record.options, self.inputs(decl), where=decl.where,
                           order=paths.CONFIG["claim_order"])

    def claims(self, *, wrong: bool) -> list:
        return [self.claim(d) for d in self.found if d.kind == "claim" and d.wrong == wrong]

    def result(self, decl: Declaration):
        """What a value, figure or check function returns."""
        fn, _ = load(decl)
        return call(fn, self.inputs(decl))
