"""Acceptance: the student's draft of Problem 1, typed as the draft typed it
(tests/fixture_draft/draft.tex), read with a notation of the draft's symbols (draft.py).  Every
wrong step is refused with its diagnosis, every right step passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw1.engine import typed
from hw1.engine.mathcheck import Checker

DRAFT = Path(__file__).resolve().parent / "fixture_draft"


@pytest.fixture(scope="module")
def rows() -> dict[int, typed.Piece]:
    notation = typed.load_notation(DRAFT / "draft.py")
    checker = Checker(notation)
    out = {}
    for d in typed.find_displays(DRAFT / "draft.tex"):
        typed._check_display(d, notation, checker)
        out.update({p.line: p for p in d.pieces})
    return out


def line(needle: str) -> int:
    lines = (DRAFT / "draft.tex").read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if needle in text)


def verdicts(piece) -> list[bool]:
    assert not piece.problem, piece.problem
    return [s["ok"] for s in piece.steps]


def test_the_forward_pass_holds_but_for_the_factor_5_on_the_output_bias(rows):
    for needle in ("z_1 &=", "z_2 &=", "z_3 &="):
        assert all(verdicts(rows[line(needle)])), needle
    for step in (s for needle in ("z_1 &=", "z_2 &=", "z_3 &=") for s in rows[line(needle)].steps):
        assert step["error"] <= 1e-15
    (output,) = rows[line(r"\hat{\mathbf{y}} &=")].steps     # 5(W2 max(...) + b2): b2 is not scaled
    assert not output["ok"] and output["error"] > 0.1


def test_dz3_db2_is_the_identity_not_5(rows):
    assert verdicts(rows[line(r"{\partial b^{(2)}} \\")]) == [True]    # the derivative of the sum: I
    (step,) = rows[line("&= 5 \\\\")].steps
    assert not step["ok"]
    assert step["diagnosis"] == "the left side is a 3×3 matrix (the identity), the right side the scalar 5"


def test_the_factor_5_on_db2_is_named(rows):
    db2 = line(r"db^{(2)} &=")
    assert verdicts(rows[db2]) == [True, True]
    (step,) = rows[db2 + 1].steps          # &= 5 dl/dy_hat dy_hat/dz3
    assert not step["ok"]
    assert step["error"] == pytest.approx(0.8, rel=1e-12)
    assert "factor 5" in step["diagnosis"]


def test_the_dimension_mismatch_of_dW1_is_named(rows):
    dW1 = line(r"dW^{(1)} &=")
    assert verdicts(rows[dW1])[0]                               # dW1 = dl/dW1: its definition
    (step,) = rows[dW1 + 1].steps
    assert not step["ok"]
    assert ("cannot multiply `\\frac{\\partial \\ell}{\\partial \\hat{y}} "
            "\\frac{\\partial \\hat{y}}{\\partial z_3} W^{(2)} \\frac{\\partial z_2}{\\partial z_1}` "
            "(1×5) by `x` (4×1)") in step["diagnosis"]


def test_the_dimension_mismatch_of_dW2_is_named(rows):
    (step,) = rows[line(r"{\partial z_3} \max(0")].steps
    assert not step["ok"]
    assert "(1×3) by `\\max(0, W^{(1)}x + b^{(1)})` (5×1)" in step["diagnosis"]


def test_a_tensor_the_course_does_not_use_is_refused(rows):
    for needle in (r"\frac{\partial z_3}{\partial W^{(2)}} &=", r"\frac{\partial z_1}{\partial W^{(1)}} &="):
        piece = rows[line(needle)]
        if piece.problem:          # the draft's \frac{\partial(...)}{W^{(1)}} cannot be read at all
            assert "cannot be read" in piece.problem
            continue
        assert not piece.steps[0]["ok"]
        assert "is a tensor" in piece.steps[0]["diagnosis"]


def test_db1_and_the_elements_hold(rows):
    db1 = line(r"db^{(1)} &=")
    assert verdicts(rows[db1]) == [True, True] and verdicts(rows[db1 + 1]) == [True]
    for needle in (r"\Bigl[\frac{\partial z_2}", r"\Bigl[\frac{\partial \hat{y}}",
                   r"\Bigl[\frac{\partial \ell}"):
        assert verdicts(rows[line(needle)]) == [True], needle


def test_rows_the_notation_cannot_read_say_where_and_why(rows):
    piece = rows[line(r"\frac{\partial z_3}{\partial z_2} &=")]
    assert piece.problem.startswith("cannot be read at `\\frac{\\partial(W^{(2)} 5")
    assert "a derivative is taken with respect to a symbol of the notation" in piece.problem
