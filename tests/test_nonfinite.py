"""No number that is not finite passes: a claim checked against nan or inf, a formula that
evaluates to nan, a value of nan and a check that measures nan fail `invoke build-pdf` and
`invoke check`, naming the declaration, the point and the side.  On the fixture document; slow."""

from __future__ import annotations

import hashlib

import pytest
from conftest import edit, invoke, line_of

pytestmark = pytest.mark.slow

WRONG = '''

y = sp.Symbol("y")


def cube_points():
    return [{"x": v} for v in (0.5, 1.0, 2.0)]


@claim(lhs=y, points=cube_points, against=lambda p: {"hand": float("{bad}")})
def wrong():
    return {rhs}
'''


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("bad, rhs, side", [
    ("nan", "7 * x**5", "the reference 'hand' is not finite (nan)"),
    ("inf", "7 * x**5", "the reference 'hand' is not finite (inf)"),
    ("1.0", "sp.sqrt(-x**2 - 1)", "the formula is not finite (nan)"),
])
def test_a_claim_that_meets_a_number_that_is_not_finite_fails_build_and_check(fixture_copy, bad, rhs, side):
    module = fixture_copy / "doc" / "mini.py"
    module.write_text(module.read_text(encoding="utf-8") + WRONG.replace("{bad}", bad).replace("{rhs}", rhs),
                      encoding="utf-8")
    edit(fixture_copy / "doc" / "part.tex", r"\claim{mini.derivative}",
         "\\claim{mini.derivative}\n\\claim{mini.wrong}")
    before = sha(fixture_copy / "build" / "main.pdf")
    where = f"doc/mini.py:{line_of(module, 'def wrong')}"
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0, out.stdout
    said = f"claim mini.wrong does not hold ({where}): {side} at point 1 of 3 (x=0.5)"
    assert said in out.stderr, out.stderr
    assert "exact" not in out.stdout + out.stderr and "Traceback" not in out.stderr
    assert sha(fixture_copy / "build" / "main.pdf") == before
    check = invoke(fixture_copy, "check")
    assert check.returncode != 0
    row = next(line for line in check.stdout.splitlines() if line.startswith("mini.wrong"))
    assert row.endswith("FAIL") and f"{side} at point 1 of 3 (x=0.5)" in row and " inf " in row, row


def test_a_value_that_is_not_finite_is_an_error_naming_it(fixture_copy):
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "return 2.0", 'return float("nan")')
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    where = f"doc/mini.py:{line_of(module, 'def slope_at_one')}"
    assert f"value mini.slope_at_one ({where})" in out.stderr and "nan" in out.stderr, out.stderr


def test_a_check_that_measures_nan_fails_and_says_so(fixture_copy):
    edit(fixture_copy / "doc" / "mini.py", 'return abs(samples["y"][-1] - 1.0)', 'return float("nan")')
    check = invoke(fixture_copy, "check")
    assert check.returncode != 0
    row = next(line for line in check.stdout.splitlines() if line.startswith("mini.last_sample"))
    assert row.endswith("FAIL") and "the measured error is not finite (nan)" in row, row
