"""``invoke check``: compute every declaration of the document's modules afresh, print one
table of its claims and checks, and say whether all hold ("does my answer build?").

Nothing is taken from the build's cache: the experiments are computed again, with the
parameters their declarations give (the same ones the PDF was built with), and every value and
figure is computed and rendered as the build would, in a throw-away folder; one that fails is
reported with the build's own message.  The declarations run in a worker process
(``hw1.engine.workers``): progress lines while one runs long, its time limit, and nothing left
running.  ``answer=`` limits all of it, and the findings in the LaTeX, to one answer (its
module and its .tex file)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hw1.engine.discover import Declaration


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    error: float          # max relative error, or the measured quantity (nan: none)
    tolerance: str
    ok: bool


def _short(reason: str) -> str:
    """A failure reason without the LaTeX it may quote: "cannot multiply (K x K) by (d x 1)"."""
    return reason.split(" in ", 1)[0] if reason.startswith("cannot ") else reason


def claim_rows(runner, decl: Declaration) -> Iterator[Row]:
    claim = runner.claim(decl)
    r = claim.verify()
    if r.error is not None:   # not checked at all: a failure for a wrong statement too
        yield Row(decl.name + (" (wrong)" if decl.wrong else ""), r.reason, math.nan,
                  f"> {r.tol:.0e}" if decl.wrong else f"<= {r.tol:.0e}", False)
        return
    if decl.wrong:
        yield Row(f"{decl.name} (wrong)", "must be rejected" + (f": {_short(r.reason)}" if r.reason else ""),
                  r.max_rel_err, f"> {r.tol:.0e}", not r.ok)
    else:
        claim.latex, claim.space     # noqa: B018 - printed as the build prints it: it must print
        method = r.method if r.ok or not r.reason else f"{r.method}: {_short(r.reason)}"
        yield Row(decl.name, method, r.max_rel_err, f"<= {r.tol:.0e}", r.ok)


def check_rows(runner, decl: Declaration) -> Iterator[Row]:
    from hw1.engine.run import load

    _, record = load(decl)
    tol, method = record.options.get("tol"), record.options.get("method") or ""
    result = runner.result(decl)
    items = result.items() if isinstance(result, dict) else [(None, result)]
    for key, measured in items:
        name = decl.name if key is None else f"{decl.name}[{key}]"
        if isinstance(measured, bool) or type(measured).__name__ == "bool_":
            yield Row(name, method, math.nan, "true", bool(measured))
        elif isinstance(measured, (int, float)) or hasattr(measured, "__float__"):
            value = float(measured)
            if tol is None:
                raise TypeError(f"check {decl.name} ({decl.where}) returned a number but declares no "
                                "tol=; say what it must not exceed, or return a bool")
            if not math.isfinite(value):   # nan <= tol is False, but say why it fails
                why = f"the measured error is not finite ({value})"
                yield Row(name, f"{method}: {why}" if method else why, math.inf, f"<= {tol:.0e}", False)
            else:
                yield Row(name, method, value, f"<= {tol:.0e}", bool(value <= tol))
        else:
            raise TypeError(f"check {decl.name} ({decl.where}) returned {type(measured).__name__}; a check "
                            "returns a number (with tol=), a bool, or a dict of them")


def _compute(found: list[Declaration], decl: Declaration, inputs: dict) -> tuple[list[Row | str], object]:
    """In a worker: compute ``decl`` afresh on ``inputs`` (the data of the experiments it
    reads, by name).  Its rows (claims, checks), or the build's message for a failure
    ("error: ..."), and an experiment's data (else None)."""
    import tempfile

    from hw1.engine import run, store

    runner = run.Runner(found, data=inputs)
    try:
        if decl.kind == "claim":
            return list(claim_rows(runner, decl)), None
        if decl.kind == "check":
            return list(check_rows(runner, decl)), None
        if decl.kind == "experiment":
            return [], runner.data(decl.name)
        with tempfile.TemporaryDirectory() as folder:   # rendered as the build renders it, then thrown away
            run.write_output(decl, runner.inputs(decl), Path(folder) / "output")
        return [], None
    except BaseException as exc:   # noqa: BLE001 - reported as the build reports it
        return [f"error: {store.failure(decl, exc)}"], None


def answer_of(answer: str, found: list[Declaration]) -> tuple[str, str]:
    """The module and the .tex file (relative to the project) that ``answer`` names: a path
    to either ("doc/part.py", "doc/part.tex") or a module name ("part",
    "doc.part").  ValueError, with the answers there are, if none."""
    from hw1.engine import paths, texscan

    stem = Path(answer).stem if answer.endswith((".py", ".tex")) else answer.rpartition(".")[2]
    doc = paths.DOC.relative_to(paths.ROOT)
    module = ".".join((*doc.parts, stem))
    tex = (doc / f"{stem}.tex").as_posix()
    answers = sorted({d.module.rpartition(".")[2] for d in found}
                     | {p.stem for p in texscan.tex_files() if p.parent == paths.DOC})
    if stem not in answers:
        from hw1.engine.discover import closest

        near = closest(stem, {a: None for a in answers}) or answers[:8]
        raise ValueError(f"no answer {answer!r} in {paths.rel(paths.DOC)}/ (no {stem}.py or {stem}.tex); "
                         f"answers there: {', '.join(near)}")
    return module, tex


def _selected(found: list[Declaration], module: str) -> list[Declaration]:
    """The declarations of ``module``, and the experiments they read (wherever declared)."""
    mine = [d for d in found if d.module == module]
    wanted = {d.name for d in mine} | {name for d in mine for name in d.inputs}
    return [d for d in found if d.name in wanted]


def _typed_rows() -> tuple[list, list]:
    """The rows of the typed displays' steps, checked afresh, and the findings of those not checked."""
    from hw1.engine import typed

    try:
        report = typed.check_document(use_cache=False)
    except typed.TypedError as exc:
        return [f"typed display math could not be checked: {exc}"], []
    lines: list[Row | str] = []
    for where, formula, error, tolerance, ok in report.rows():
        short = formula if len(formula) <= 60 else formula[:57] + "..."
        lines.append(Row(where, short, math.nan if math.isinf(error) else error, tolerance, ok))
    for failure in report.failures():
        lines.append(failure)
    return lines, report.findings()


def run(*, strict: bool = False, answer: str | None = None, echo: Callable[[str], None] | None = None,
        progress: Callable[[str], None] | None = None) -> bool:
    """Print the table and the findings in the hand-written LaTeX; True iff everything holds.
    ``answer``: only that answer's declarations and LaTeX (see ``answer_of``)."""
    from hw1.engine import paths
    from hw1.engine.noop import say

    echo = say if echo is None else echo
    try:
        return _run(strict=strict, answer=answer, echo=echo, progress=echo if progress is None else progress)
    except paths.NotAFile as exc:       # a FIFO in place of a state file: said, never opened
        echo(f"error: {exc}")
        return False


def _run(*, strict: bool, answer: str | None, echo: Callable[[str], None],
         progress: Callable[[str], None]) -> bool:
    from hw1.engine import discover, paths, texscan, workers

    try:
        found = discover.declarations()
        module, tex = answer_of(answer, found) if answer else (None, None)
    except (discover.DiscoveryError, ValueError) as exc:
        echo(f"error: {exc}")
        return False
    chosen = _selected(found, module) if module else found
    # each declaration a job of its own (its name in progress lines and errors), once the
    # experiments it reads are computed; in the build's two lanes (store.lane), side by side
    from hw1.engine import store

    try:
        jobs = store.worker_count()
    except store.BuildError as exc:
        echo(f"error: {exc}")
        return False
    pending = list(chosen)
    data: dict[str, object] = {}
    results: dict[str, list[Row | str]] = {}
    failed: set[str] = set()
    with workers.Pool(limit=paths.DECLARATION_TIME_LIMIT, limit_key="declaration_time_limit",
                      progress=progress) as pool:
        while pending or pool.running:
            for decl in [d for d in pending if all(i in data or i in failed for i in d.inputs)]:
                pending.remove(decl)
                broken = [name for name in decl.inputs if name in failed]
                if broken:
                    results[decl.name] = [f"error: {decl.kind} {decl.name} ({decl.where}) not computed: "
                                          f"it reads {', '.join(broken)}, which failed"]
                    failed.add(decl.name)
                    continue
                pool.submit(store.lane(decl) if jobs > 1 else 0, decl, decl.name,
                            f"{decl.kind} {decl.name} ({decl.where})", _compute, found, decl,
                            {name: data[name] for name in decl.inputs})
            if not pool.running:
                for decl in pending:     # inputs that never come (a cycle: discovery says so first)
                    results[decl.name] = [f"error: {decl.kind} {decl.name} ({decl.where}) not computed: "
                                          "its inputs wait on each other"]
                    failed.add(decl.name)
                break
            for done, ok, value in pool.wait():
                lines, made = value if ok else ([f"error: {value}" if isinstance(value, workers.WorkerError)
                                                 else f"error: {done.kind} {done.name} ({done.where}) "
                                                 f"could not run: {type(value).__name__}: {value}"], None)
                results[done.name] = lines
                if any(isinstance(line, str) for line in lines):
                    failed.add(done.name)
                elif done.kind == "experiment":
                    data[done.name] = made
    all_ok = not failed
    sections: list[tuple[str, list[Row | str]]] = []
    for file in dict.fromkeys(d.file for d in chosen):
        lines = [line for d in chosen if d.file == file for line in results.get(d.name, [])]
        if lines:
            sections.append((file, lines))
    typed_lines, shown = _typed_rows()
    if tex is not None:      # the typed displays of the answer's .tex only
        typed_lines = [r for r in typed_lines if (r.name if isinstance(r, Row) else r).startswith(f"{tex}:")]
        shown = [f for f in shown if f.file == tex]
    typed_failed = sum(isinstance(r, str) for r in typed_lines)
    all_ok &= not typed_failed
    if typed_lines:
        sections.append(("typed display math (each = step of each row)", typed_lines))
    rows = [r for _, lines in sections for r in lines if isinstance(r, Row)]
    widths = (max([len("claim or check"), *(len(r.name) for r in rows)]),
              max([len("method"), *(len(r.method) for r in rows)]), 11, 10)
    header = f"{'claim or check':<{widths[0]}} {'method':<{widths[1]}} {'max rel err':>{widths[2]}} " \
             f"{'must be':>{widths[3]}}  ok"
    echo(header)
    echo("-" * len(header))
    for file, lines in sections:
        echo(f"# {file}")
        for row in lines:
            if isinstance(row, str):
                echo(row)
                continue
            all_ok &= row.ok
            error = "-" if math.isnan(row.error) else f"{row.error:.2e}"
            echo(f"{row.name:<{widths[0]}} {row.method:<{widths[1]}} {error:>{widths[2]}} "
                 f"{row.tolerance:>{widths[3]}}  {'ok' if row.ok else 'FAIL'}")
    refs, todo = texscan.scan()
    errors = texscan.check_references(refs, discover.by_name(found))
    findings = shown + todo
    if tex is not None:
        errors = [e for e in errors if e.file == tex]
        findings = [f for f in findings if f.file == tex]
    for finding in errors:
        echo(f"error: {finding}")
    scope = f"{tex}" if tex is not None else "the hand-written LaTeX"
    echo(f"# {scope}: unchecked display math and unfinished work ({'errors' if strict else 'warnings'})")
    for finding in sorted(findings, key=lambda f: (discover.natural(f.file), f.line)):
        echo(f"{'error' if strict else 'warning'}: {finding}")
    if not findings:
        echo("no unchecked display math, no unfinished work")
    all_ok &= not errors
    ok = all_ok and not (strict and findings)
    computed = [d for d in chosen if d.kind in ("experiment", "value", "figure")]
    failing = sum(not r.ok for r in rows)
    not_run = sum(d.name in failed for d in chosen if d.kind in ("claim", "check"))
    not_made = sum(d.name in failed for d in computed)
    if not (failing or not_run or not_made or typed_failed):
        summary = (f"all {len(rows)} row(s) of the table hold; {len(computed)} experiment(s), "
                   "value(s) and figure(s) compute")
    else:
        parts = [f"{failing} of {len(rows)} row(s) of the table FAIL"] if failing else []
        parts += [f"{not_run} claim(s) or check(s) could not run"] if not_run else []
        parts += [f"{not_made} of {len(computed)} experiment(s), value(s) and figure(s) failed"] \
            if not_made else []
        parts += [f"{typed_failed} typed display(s) could not be checked"] if typed_failed else []
        summary = "SOME CHECKS FAILED: " + ", ".join(parts)
    unknown = sum(e.what.startswith("unknown ") for e in errors)
    if unknown:
        summary += f"; {unknown} name(s) in the LaTeX that no module declares"
    if len(errors) > unknown:
        summary += f"; {len(errors) - unknown} name(s) in the LaTeX shown by the wrong macro"
    if findings:
        summary += f"; {len(findings)} finding(s) in the LaTeX" + ("" if ok or not all_ok else " (--strict)")
    echo(f"check{f' (only {module} and {tex})' if module else ''}: {summary}")
    return ok
