"""``invoke check``: run every numerical verification of the document's claims, print one
table, and say whether all hold.  Nothing is cached here: every check is computed afresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    claim: str
    method: str
    error: float          # max relative error (or the measured quantity)
    tolerance: str
    ok: bool


def _short(reason: str) -> str:
    """A failure reason without the LaTeX it may quote: "cannot multiply (K x K) by (d x 1)"."""
    return reason.split(" in ", 1)[0] if reason.startswith("cannot ") else reason


def claim_rows() -> Iterator[Row]:
    from hw1 import claims

    for claim in claims.all_claims():
        r = claim.verify()
        yield Row(r.name, r.method if r.ok else f"{r.method}: {_short(r.reason)}", r.max_rel_err,
                  f"<= {r.tol:.0e}", r.ok)


def draft_rows() -> Iterator[Row]:
    """The draft's wrong statements: each must be rejected by the same mechanism."""
    from hw1 import claims

    for claim in claims.draft_claims():
        r = claim.verify()
        yield Row(f"{r.name} (wrong)", "must be rejected" + (f": {_short(r.reason)}" if r.reason else ""),
                  r.max_rel_err, f"> {r.tol:.0e}", not r.ok)


def gradient_rows() -> Iterator[Row]:
    from hw1 import problem3

    table = problem3.gradient_table()
    for row in table["rows"]:
        name = f"grad f={row['f']} g={row['g']} {row['loss']}"
        yield Row(name, f"vs autograd, {table['seeds']} seeds", max(row["autograd"].values()),
                  f"<= {table['rtol_autograd']:.0e}", max(row["autograd"].values()) <= table["rtol_autograd"]
                  and not row["problems"])
        yield Row(name, "vs finite differences", max(row["fd"].values()),
                  f"<= {table['rtol_fd']:.0e}", max(row["fd"].values()) <= table["rtol_fd"])


def logistic_rows() -> Iterator[Row]:
    """The acceptance numbers of Problem 2, computed afresh."""
    import numpy as np

    from hw1 import logistic
    from hw1.logistic_experiments import implicit_bias_data

    d = implicit_bias_data()
    yield Row("p2 slope of ||w_t|| vs log t", "least squares on t in [1e4, 1e6]",
              abs(d["slope_rel_diff"]), "<= 1e-02", abs(d["slope_rel_diff"]) <= 1e-2)
    yield Row("p2 angle(w_t, w_hat) decreasing, t >= 100", f"final angle {d['final_angle']:.2e} rad",
              d["final_angle"], "monotone", bool(d["angle_monotone_after_100"]))
    yield Row("p2 t * L(w_t) at the last step", f"limit ||w_hat||^2/lr = {d['predicted_t_loss']:.4f}",
              abs(d["final_t_loss"] / d["predicted_t_loss"] - 1), "<= 1e-02",
              abs(d["final_t_loss"] / d["predicted_t_loss"] - 1) <= 1e-2)
    X, y = np.array(d["X"]), np.array(d["y"])
    primal, dual = logistic.max_margin(X, y), logistic.max_margin_dual(X, y)
    err = float(np.max(np.abs(primal - dual)) / np.max(np.abs(dual)))
    yield Row("p2 max-margin direction", "primal (SLSQP+KKT) vs dual (NNLS)", err, "<= 1e-08", err <= 1e-8)
    _, W_fast = logistic.gradient_descent(X, y, steps=2000, lr=d["lr"], checkpoints=[10, 100, 2000])
    _, W_slow = logistic._gradient_descent_numpy(X, y, steps=2000, lr=d["lr"], checkpoints=[10, 100, 2000])
    err = float(np.max(np.abs(W_fast - W_slow)) / np.max(np.abs(W_slow)))
    yield Row("p2 gradient descent (numba)", "vs plain numpy loop, 2000 steps", err, "<= 1e-09", err <= 1e-9)


# the sections of the table, in order; each yields rows
SECTIONS: list[tuple[str, Callable[[], Iterator[Row]]]] = [
    ("claims displayed in the PDF", claim_rows),
    ("the draft's mistakes", draft_rows),
    ("hand-written gradients (Problem 3)", gradient_rows),
    ("Problem 2 (logistic loss, implicit bias)", logistic_rows),
]


def run(*, strict: bool = False, echo: Callable[[str], None] = print) -> bool:
    """Print the table and the completeness findings; True iff everything holds."""
    from hw1 import completeness

    widths = (44, 56, 11, 10)
    header = f"{'claim':<{widths[0]}} {'method':<{widths[1]}} {'max rel err':>{widths[2]}} " \
             f"{'tolerance':>{widths[3]}}  ok"
    all_ok = True
    echo(header)
    echo("-" * len(header))
    for title, section in SECTIONS:
        echo(f"# {title}")
        try:
            rows = list(section())
        except Exception as exc:   # a check that cannot run is a failed check, reported as such
            echo(f"hw1.check.{section.__name__} could not run: {type(exc).__name__}: {exc}")
            all_ok = False
            continue
        for row in rows:
            all_ok &= row.ok
            echo(f"{row.claim:<{widths[0]}} {row.method:<{widths[1]}} {row.error:>{widths[2]}.2e} "
                 f"{row.tolerance:>{widths[3]}}  {'ok' if row.ok else 'FAIL'}")
    findings = completeness.scan()
    echo(f"# completeness of the hand-written LaTeX ({'errors' if strict else 'warnings'})")
    for finding in findings:
        echo(f"{'error' if strict else 'warning'}: {finding}")
    if not findings:
        echo("no unfinished work found")
    ok = all_ok and not (strict and findings)
    echo("check: " + ("all claims hold" if all_ok else "SOME CLAIMS FAILED")
         + (f"; {len(findings)} unfinished item(s)" if findings else "")
         + ("" if ok or not all_ok else " (--strict)"))
    return ok
