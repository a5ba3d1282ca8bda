"""Typed display math in a document: found, read with the notation beside it, checked, marked.

Unit tests on the finding of displays and rows, and slow tests that build the small fixture
document with tests/fixture_typed/ (a notation and typed displays) added to it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import edit, invoke, line_of

from hw1.engine import typed

TYPED = Path(__file__).resolve().parent / "fixture_typed"
slow = pytest.mark.slow


def test_rows_are_cut_at_double_backslashes_outside_braces(tmp_path):
    tex = tmp_path / "a.tex"
    tex.write_text("Text.\n\\begin{align}\n  a &= b \\label{eq:a}\\\\[2pt]\n"
                   "  &= \\frac{c}{d}, \\nonumber\\\\\n  e &= \\text{x \\\\ y} % a comment \\\\\n"
                   "\\end{align}\n\\[ x = y. \\]\n$$ p = q $$\n",
                   encoding="utf-8")
    found = typed.find_displays(tex)
    assert [(d.what, d.line, d.end_line) for d in found] == \
        [("\\begin{align}", 2, 6), ("\\[", 7, 7), ("$$", 8, 8)]
    rows = found[0].pieces
    assert [(p.line, p.text) for p in rows] == \
        [(3, "a &= b"), (4, "&= \\frac{c}{d}"), (5, "e &= \\text{x \\\\ y}")]
    assert all(p.mark for p in rows)
    assert [p.text for p in found[1].pieces] == ["x = y"]


def test_an_equation_with_a_split_is_read_by_rows_with_one_mark(tmp_path):
    tex = tmp_path / "a.tex"
    tex.write_text("\\begin{equation}\\begin{split}\n a &= b \\\\\n &= c\n\\end{split}\\end{equation}\n",
                   encoding="utf-8")
    (d,) = typed.find_displays(tex)
    assert [(p.line, p.text, p.mark) for p in d.pieces] == [(2, "a &= b", False), (3, "&= c", True)]


def test_macros_are_expanded_with_their_arguments():
    macros = typed.macros_of([r"\newcommand{\yhat}{\hat{\mathbf{y}}}"
                              r" \newcommand\pd[2]{\frac{\partial #1}{\partial #2}}"
                              r" \DeclareMathOperator{\diag}{diag}"])
    assert typed.expand(r"\pd{\ell}{\yhat} = \diag(\yhat)", macros) == \
        r"{\frac{\partial \ell}{\partial \hat{\mathbf{y}}}} = \operatorname{diag}(\hat{\mathbf{y}})"


def test_unchecked_covers_the_display_and_nothing_of_it_is_read(tmp_path):
    tex = tmp_path / "a.tex"
    tex.write_text("\\begin{align}\n \\unchecked a &= b \\\\\n c &= d\n\\end{align}\n", encoding="utf-8")
    (d,) = typed.find_displays(tex)
    assert d.unchecked
    report = typed.Report([d], 0)
    assert report.findings() == [] and "hwsettyped" not in report.marks()


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _typed_project(project: Path) -> Path:
    for name in ("typed.py", "typed.tex"):
        shutil.copy2(TYPED / name, project / "doc" / name)
    edit(project / "doc" / "main.tex", "\\input{part}", "\\input{part}\n\\input{typed}")
    return project


@pytest.fixture
def typed_copy(fixture_copy) -> Path:
    return _typed_project(fixture_copy)


@slow
def test_typed_displays_are_checked_and_marked_row_by_row(typed_copy):
    out = invoke(typed_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in out.stdout
    marks = (typed_copy / "build" / "generated" / "verified-typed.tex").read_text(encoding="utf-8")
    assert marks.count("\\hwtypedmark") == 4             # two rows of the align, the \[...\], the sum
    text = pdftext(typed_copy / "build" / "main.pdf")
    assert text.count("✓") == 5                          # the claim's and the four rows'
    check = invoke(typed_copy, "check", "--strict")
    assert check.returncode == 0, check.stdout
    tex = typed_copy / "doc" / "typed.tex"
    rows = [line for line in check.stdout.splitlines() if line.startswith("doc/typed.tex:")]
    assert [r.split()[0] for r in rows] == [f"doc/typed.tex:{line_of(tex, n)}" for n in
                                            (r"\partial \yhat} &", r"\partial \mathbf{z}} &",
                                             r"\frac{\partial \ell}{\partial \mathbf{W}}", r"\ell = \sum")]
    assert all(r.endswith(" ok") for r in rows)


@slow
@pytest.mark.parametrize("old, new, diagnosis", [
    ("&= 2(\\yhat - \\mathbf{y})^\\top", "&= 2(\\yhat - \\mathbf{y})", "transposed"),
    ("&= 2(\\yhat - \\mathbf{y})^\\top", "&= 3(\\yhat - \\mathbf{y})^\\top", "factor 3/2"),
    ("&= 2(\\yhat - \\mathbf{y})^\\top", "&= 2(\\mathbf{y} - \\yhat)^\\top", "opposite sign"),
])
def test_a_wrong_row_stops_the_build_at_its_line(typed_copy, old, new, diagnosis):
    tex = typed_copy / "doc" / "typed.tex"
    before = (typed_copy / "build" / "main.pdf").read_bytes()
    edit(tex, old, new)
    out = invoke(typed_copy, "build-pdf")
    assert out.returncode != 0
    line = line_of(tex, new)
    assert f"build-pdf failed: doc/typed.tex:{line}: typed formula does not hold: " in out.stderr
    assert diagnosis in out.stderr
    assert (typed_copy / "build" / "main.pdf").read_bytes() == before
    check = invoke(typed_copy, "check")
    assert check.returncode != 0
    rows = check.stdout.splitlines()
    assert any(r.startswith(f"doc/typed.tex:{line}") and r.endswith("FAIL") for r in rows)


@slow
def test_strict_names_every_unmarked_row_it_cannot_check(typed_copy):
    tex = typed_copy / "doc" / "typed.tex"
    with open(tex, "a", encoding="utf-8") as f:
        f.write("\\begin{align}\n  a &= \\mathbf{x} \\\\\n  \\mathbf{x} &= \\mathbf{x} \\\\\n"
                "  \\mathbf{x}^\\top\\mathbf{x}\n\\end{align}\n")
    first = line_of(tex, "a &= \\mathbf{x}")
    out = invoke(typed_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    strict = invoke(typed_copy, "check", "--strict")
    assert strict.returncode != 0
    errors = [line for line in strict.stdout.splitlines() if line.startswith("error: doc/typed.tex")]
    assert len(errors) == 2
    assert errors[0].startswith(f"error: doc/typed.tex:{first}: display math \\begin{{align}} (row at line "
                                f"{first}) is not machine-checked: cannot be read at `a`")
    assert errors[1].startswith(f"error: doc/typed.tex:{first + 2}:") and "holds no relation" in errors[1]
    edit(tex, "  a &= \\mathbf{x} \\\\", "  \\unchecked a &= \\mathbf{x} \\\\")
    assert invoke(typed_copy, "check", "--strict").returncode == 0


# -- \checkedby: a display checked with a declaration's points and references ------------------

def _by_display(tmp_path, row: str):
    from hw1.engine.mathcheck import Checker
    from hw1.engine.notation import Notation

    N = Notation()
    N.vector(r"\mathbf{x}", "x", size=N.size("n", 3))
    N.scalar("c")
    N.scalar("a")
    tex = tmp_path / "a.tex"
    tex.write_text("\\begin{align}\n  %s \\checkedby{a.scaled}\n\\end{align}\n" % row, encoding="utf-8")
    (d,) = typed.find_displays(tex)
    return d, N, Checker(N)


def _backing(points=None):
    import numpy as np

    rng = np.random.default_rng(0)
    points = points or [{"c": float(rng.normal()), r"\mathbf{x}": rng.normal(size=3)} for _ in range(4)]
    return typed.Backing("a.scaled", points, lambda p: {"by hand": (p["c"] + 1) * np.asarray(
        p.get(r"\mathbf{x}", p.get("x")))}, 1e-10)


def test_checkedby_is_found_and_not_read(tmp_path):
    d, _, _ = _by_display(tmp_path, r"c\mathbf{x} + \mathbf{x} &= (c + 1)\mathbf{x}")
    assert d.checkedby == "a.scaled"
    assert [p.text for p in d.pieces] == [r"c\mathbf{x} + \mathbf{x} &= (c + 1)\mathbf{x}"]


def test_a_right_display_matches_every_reference_at_every_point(tmp_path):
    d, N, checker = _by_display(tmp_path, r"c\mathbf{x} + \mathbf{x} &= (c + 1)\mathbf{x}")
    typed._check_by(d, N, checker, _backing())
    (p,) = d.pieces
    assert p.problem == ""
    assert [(s["left"], s["right"], s["ok"], s["points"]) for s in p.steps] == [
        (r"c\mathbf{x} + \mathbf{x}", "reference 'by hand' of a.scaled", True, 4),
        (r"(c + 1)\mathbf{x}", "reference 'by hand' of a.scaled", True, 4)]
    assert p.error <= 4e-16        # a few float64 operations on numbers of order one
    assert "hwtypedmark" in typed.Report([d], 1).marks()


def test_a_wrong_coefficient_fails_naming_the_reference_and_the_error(tmp_path):
    d, N, checker = _by_display(tmp_path, r"c\mathbf{x} + \mathbf{x} &= (c + 2)\mathbf{x}")
    typed._check_by(d, N, checker, _backing())
    (failure,) = typed.Report([d], 1).failures()
    assert failure.startswith(f"{d.file}:2: typed formula does not hold: `(c + 2)\\mathbf{{x}} = reference "
                              "'by hand' of a.scaled`: max rel. error ")
    (bad,) = d.pieces[0].failed
    assert 0.1 < bad["error"] < 10 and "hwtypedmark" not in typed.Report([d], 1).marks()


def test_a_symbol_the_points_do_not_give_is_an_error_naming_it(tmp_path):
    d, N, checker = _by_display(tmp_path, r"c\mathbf{x} + a\mathbf{x} &= (c + 1)\mathbf{x}")
    with pytest.raises(typed.TypedError, match=r"a.tex:2: \\checkedby\{a.scaled\}: the point gives no value "
                                               r"for a \(`c\\mathbf\{x\} \+ a\\mathbf\{x\}` needs it\)"):
        typed._check_by(d, N, checker, _backing())


def test_a_key_that_names_no_symbol_is_an_error_naming_it(tmp_path):
    d, N, checker = _by_display(tmp_path, r"c\mathbf{x} + \mathbf{x} &= (c + 1)\mathbf{x}")
    with pytest.raises(typed.TypedError, match=r"the point's key 'q' names no symbol of the notation"):
        typed._check_by(d, N, checker, _backing([{"c": 1.0, "x": [1.0, 2.0, 3.0], "q": 2.0}]))
    ok = _backing([{"c": 1.0, "x": [1.0, 2.0, 3.0]}])     # a spelling of the vector, as a flat list
    typed._check_by(d, N, checker, ok)
    assert all(s["ok"] for s in d.pieces[0].steps)


BY_PY = '''

import numpy as np

from hw1.engine import references


def draws():
    rng = np.random.default_rng(3)
    return [{"x": rng.normal(size=4), "W": rng.normal(size=(3, 4))} for _ in range(6)]


def by_hand(point):
    s = 1 / (1 + np.exp(-(point["W"] @ point["x"])))
    return {"by hand": np.diag(s * (1 - s))}


dyhat_dz = references(points=draws, against=by_hand)
'''
BY_TEX = r"""
\begin{equation}
  \frac{\partial \yhat}{\partial \mathbf{z}} = \operatorname{diag}\bigl(\yhat \odot (1 - \yhat)\bigr)
  \checkedby{typed.dyhat_dz}
\end{equation}
"""


@slow
def test_a_display_checked_by_references_is_marked_and_rechecked_when_they_change(typed_copy):
    with open(typed_copy / "doc" / "typed.py", "a", encoding="utf-8") as f:
        f.write(BY_PY)
    tex = typed_copy / "doc" / "typed.tex"
    with open(tex, "a", encoding="utf-8") as f:
        f.write(BY_TEX)
    out = invoke(typed_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    marks = (typed_copy / "build" / "generated" / "verified-typed.tex").read_text(encoding="utf-8")
    assert marks.count("\\hwtypedmark") == 5             # the four rows before, and this display
    assert pdftext(typed_copy / "build" / "main.pdf").count("✓") == 6
    # editing the references checks the display again: a wrong reference stops the build at its row
    edit(typed_copy / "doc" / "typed.py", "np.diag(s * (1 - s))", "np.diag(2 * s * (1 - s))")
    out = invoke(typed_copy, "build-pdf")
    line = line_of(tex, r"\frac{\partial \yhat}{\partial \mathbf{z}} = ")
    assert out.returncode != 0
    assert f"doc/typed.tex:{line}: typed formula does not hold: " in out.stderr
    assert "reference 'by hand' of typed.dyhat_dz`: max rel. error 5.00e-01 over 6 points" in out.stderr
    # a name that is no references(...) or @claim stops the build at the display
    edit(tex, r"\checkedby{typed.dyhat_dz}", r"\checkedby{typed.dyhat_dzz}")
    out = invoke(typed_copy, "build-pdf")
    assert out.returncode != 0
    assert (f"doc/typed.tex:{line - 1}: \\checkedby{{typed.dyhat_dzz}}: dyhat_dzz of doc/typed.py is not a "
            "references(points=..., against=...) or a @claim (there is no such name); known: dyhat_dz") \
        in out.stderr


CLAIM_PY = '''
import numpy as np
import sympy as sp

from hw1.engine import claim

c = sp.Symbol("c")


def draws():
    rng = np.random.default_rng(5)
    return [{"c": float(rng.normal()), "x": rng.normal(size=3)} for _ in range(3)]


@claim(lhs=c, points=draws, against=lambda p: {"by hand": (p["c"] + 1) * p["x"]}, tol=1e-12)
def scaled():
    return c + 1          # the formula a claim prints; a display backed by it uses only its references
'''


def test_a_claim_can_back_a_display_with_its_points_references_and_tol(tmp_path, monkeypatch):
    from hw1.engine import paths

    folder = tmp_path / "claimdoc"           # a package name no other test imports
    folder.mkdir()
    (folder / "byclaim.py").write_text(CLAIM_PY, encoding="utf-8")
    tex = folder / "byclaim.tex"
    tex.write_text("\\begin{align}\n  c\\mathbf{x} + \\mathbf{x} &= (c + 1)\\mathbf{x}"
                   " \\checkedby{byclaim.scaled}\n\\end{align}\n", encoding="utf-8")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        (d,) = typed.find_displays(tex)
        by = typed.backing(tex, d)
    finally:
        for name in ("claimdoc.byclaim", "claimdoc"):
            sys.modules.pop(name, None)
    assert (by.label, len(by.points), by.tol) == ("byclaim.scaled", 3, 1e-12)
    _, N, checker = _by_display(tmp_path, "x")        # the same notation: x, c, a
    typed._check_by(d, N, checker, by)
    (p,) = d.pieces
    assert p.problem == "" and [s["ok"] for s in p.steps] == [True, True]
    assert p.error <= 4e-16        # a few float64 operations on numbers of order one


# -- finding displays: every kind, and what is not one ---------------------------------------------
def _unmarked(tmp_path, text: str) -> list[int]:
    """The lines of the displays in ``text`` that carry no \\unchecked."""
    path = tmp_path / "scan.tex"
    path.write_text(text, encoding="utf-8")
    return [d.line for d in typed.find_displays(path) if not d.unchecked]


@pytest.mark.parametrize("display", [
    "\\begin{equation} a = b \\end{equation}", "\\begin{equation*} a = b \\end{equation*}",
    "\\begin{align} a &= b \\end{align}", "\\begin{align*} a &= b \\\\ c &= d \\end{align*}",
    "\\begin{gather} a = b \\end{gather}", "\\begin{multline*} a = b \\end{multline*}",
    "\\begin{alignat*}{2} a &= b \\end{alignat*}", "\\begin{displaymath} a = b \\end{displaymath}",
    "\\[ a = b \\]", "$$ a = b $$", "\\begin{flalign} a &= b \\end{flalign}",
])
def test_every_kind_of_display_is_found_and_unchecked_marks_it(tmp_path, display):
    assert _unmarked(tmp_path, f"Text.\n{display}\n") == [2]
    assert _unmarked(tmp_path, "Text.\n%s\n" % display.replace(" b ", " b \\unchecked ")) == []


def test_what_is_not_display_math(tmp_path):
    text = ("Inline $a = b$ and \\(c = d\\), a price of \\$5, a line break \\\\[2pt] here,\n"
            "% \\begin{equation} a commented display \\end{equation}\n"
            "\\claim{m.dW2} \\begin{aligned} inside nothing \\end{aligned}\n")
    assert _unmarked(tmp_path, text) == []


def test_a_display_never_closed_is_still_found(tmp_path):
    assert _unmarked(tmp_path, "a\n\n\\begin{equation} x = 1\n") == [3]
