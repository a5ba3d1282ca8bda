"""``invoke check``: run every claim and check the document's modules declare, afresh, print
one table, and say whether all hold.  Nothing is taken from the build's cache: the experiments
the checks read are computed again, with the parameters their declarations give (the same ones
the PDF was built with)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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
    r = runner.claim(decl).verify()
    if r.error is not None:   # not checked at all: a failure for a wrong statement too
        yield Row(decl.name + (" (wrong)" if decl.wrong else ""), f"{r.method}: {r.reason}", r.max_rel_err,
                  f"> {r.tol:.0e}" if decl.wrong else f"<= {r.tol:.0e}", False)
    elif decl.wrong:
        yield Row(f"{decl.name} (wrong)", "must be rejected" + (f": {_short(r.reason)}" if r.reason else ""),
                  r.max_rel_err, f"> {r.tol:.0e}", not r.ok)
    else:
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


def _rows(runner, decl: Declaration) -> Iterator[Row]:
    if decl.kind == "claim":
        yield from claim_rows(runner, decl)
    elif decl.kind == "check":
        yield from check_rows(runner, decl)


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


def run(*, strict: bool = False, echo: Callable[[str], None] | None = None) -> bool:
    """Print the table and the findings in the hand-written LaTeX; True iff everything holds."""
    from hw1.engine import paths
    from hw1.engine.quick import say

    echo = say if echo is None else echo
    try:
        return _run(strict=strict, echo=echo)
    except paths.NotAFile as exc:       # a FIFO in place of a state file: said, never opened
        echo(f"error: {exc}")
        return False


def _run(*, strict: bool, echo: Callable[[str], None]) -> bool:
    from hw1.engine import discover, texscan
    from hw1.engine.run import Runner

    try:
        found = discover.declarations()
    except discover.DiscoveryError as exc:
        echo(f"error: {exc}")
        return False
    runner = Runner(found)
    all_ok = True
    sections: list[tuple[str, list[Row | str]]] = []
    for file in dict.fromkeys(d.file for d in found if d.kind in ("claim", "check")):
        lines: list[Row | str] = []
        for decl in (d for d in found if d.file == file and d.kind in ("claim", "check")):
            try:
                lines += list(_rows(runner, decl))
            except Exception as exc:   # a check that cannot run is a failed check, reported as such
                lines.append(f"{decl.name} ({decl.where}) could not run: {type(exc).__name__}: {exc}")
                all_ok = False
        sections.append((file, lines))
    typed_lines, shown = _typed_rows()
    all_ok &= not any(isinstance(r, str) for r in typed_lines)
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
    refs, _, todo = texscan.scan()
    errors = texscan.check_references(refs, discover.by_name(found))
    for finding in errors:
        echo(f"error: {finding}")
    findings = shown + todo
    echo(f"# the hand-written LaTeX: unchecked display math and unfinished work "
         f"({'errors' if strict else 'warnings'})")
    for finding in sorted(findings, key=lambda f: (discover.natural(f.file), f.line)):
        echo(f"{'error' if strict else 'warning'}: {finding}")
    if not findings:
        echo("no unchecked display math, no unfinished work")
    all_ok &= not errors
    ok = all_ok and not (strict and findings)
    summary = "all claims and checks hold" if all_ok else "SOME CHECKS FAILED"
    if errors:
        summary += f"; {len(errors)} name(s) in the LaTeX that no module declares"
    if findings:
        summary += f"; {len(findings)} finding(s) in the LaTeX" + ("" if ok or not all_ok else " (--strict)")
    echo("check: " + summary)
    return ok
