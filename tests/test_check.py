"""``invoke check`` answers "does my answer build?": it computes every declaration (values
and figures too) and reports a failure with the build's own message; ``--answer`` limits it to
one answer; an error in a claim's points= or against= names its own line; the summary counts
what it says.  On the fixture document; slow."""

from __future__ import annotations

import pytest
from conftest import edit, invoke, line_of

pytestmark = pytest.mark.slow

MORE = '''

@value
def pair():
    import numpy as np

    return np.array([1.0, 2.0])


@figure
def blank(samples):
    return None


def far_points():
    return [{"x": 1.0 / 0.0}]


@claim(lhs=sp.Symbol("g"), points=far_points, against=lambda p: {"numpy": 2 * p["x"]})
def doubled():
    return 2 * x
'''


def test_check_computes_values_and_figures_and_says_what_the_build_says(fixture_copy):
    module = fixture_copy / "doc" / "mini.py"
    original = module.read_text(encoding="utf-8")
    module.write_text(original + MORE, encoding="utf-8")
    check = invoke(fixture_copy, "check")
    assert check.returncode == 1
    value = (f"computing value mini.pair (doc/mini.py:{line_of(module, 'def pair')}) failed: TypeError: "
             "returned ndarray")
    figure = (f"computing figure mini.blank (doc/mini.py:{line_of(module, 'def blank')}) failed: TypeError: "
              "returned NoneType; a figure returns the matplotlib Figure it drew")
    assert f"error: {value}" in check.stdout and f"error: {figure}" in check.stdout, check.stdout
    # the points= function's own line, and no error measured ("inf over 0 points") where none was
    row = next(line for line in check.stdout.splitlines() if line.startswith("mini.doubled"))
    raised = line_of(module, "1.0 / 0.0")
    assert f"points= raised ZeroDivisionError: float division by zero at doc/mini.py:{raised}" in row, row
    assert " inf " not in row and row.endswith("FAIL")
    assert ("check: SOME CHECKS FAILED: 1 of 3 row(s) of the table FAIL, 2 of 5 experiment(s), value(s) "
            "and figure(s) failed") in check.stdout, check.stdout
    # the build stops with the same message
    module.write_text(original + MORE.partition("@figure")[0], encoding="utf-8")
    build = invoke(fixture_copy, "build-pdf")
    assert build.returncode == 1 and f"build-pdf failed: {value}" in build.stderr, build.stderr


def test_check_of_one_answer_and_a_summary_that_counts_what_it_says(fixture_copy):
    other = fixture_copy / "doc" / "other.py"
    other.write_text("from hw1.engine import value\n\n\n@value\ndef broken():\n    return 1 / 0\n",
                     encoding="utf-8")
    (fixture_copy / "doc" / "other.tex").write_text("\\val{other.broken} \\answerpending\n", encoding="utf-8")
    # a value shown with \claim is named the wrong kind of thing, not a name no module declares
    edit(fixture_copy / "doc" / "part.tex", r"\claim{mini.derivative}", r"\claim{mini.slope_at_one}")
    everything = invoke(fixture_copy, "check")
    assert everything.returncode == 1
    assert "computing value other.broken (doc/other.py:5) failed at doc/other.py:6: ZeroDivisionError" \
        in everything.stdout
    assert "SOME CHECKS FAILED: 1 of 2 experiment(s), value(s) and figure(s) failed" not in everything.stdout
    assert "; 1 name(s) in the LaTeX shown by the wrong macro" in everything.stdout, everything.stdout
    assert "no module declares" not in everything.stdout
    mini = invoke(fixture_copy, "check", "--strict", "--answer", "doc/mini.py")
    assert "other.broken" not in mini.stdout and "answer not yet written" not in mini.stdout
    assert "check (only doc.mini and doc/mini.tex): all 2 row(s) of the table hold; 3 experiment(s), " \
           "value(s) and figure(s) compute" in mini.stdout, mini.stdout
    assert mini.returncode == 0, mini.stdout       # (part.tex is not mini's answer)
    strict = invoke(fixture_copy, "check", "--strict", "--answer", "other")
    assert strict.returncode == 1 and "error: doc/other.tex:1: answer not yet written" in strict.stdout
    assert "mini." not in strict.stdout
    wrong = invoke(fixture_copy, "check", "--answer", "othr")
    assert wrong.returncode == 1 and "error: no answer 'othr' in doc/ (no othr.py or othr.tex); answers " \
                                     "there: other" in wrong.stdout, wrong.stdout
