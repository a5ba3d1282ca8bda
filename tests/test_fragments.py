"""The LaTeX the build writes (hw1.engine.fragments): values formatted by the code that
computes them, escaping, the marks, and the index of names."""

from __future__ import annotations

import numpy as np
import pytest

from hw1.engine import fragments
from hw1.engine.discover import Declaration


@pytest.mark.parametrize("result, options, latex", [
    (3, {}, "3"),
    (np.int64(40), {}, "40"),
    (0.01, {}, "0.01"),
    (1.0, {}, "1"),
    (0.706714, {}, "0.7067"),
    (0.706714, {"digits": 6}, "0.706714"),
    (0.0784, {"decimals": 4}, "0.0784"),
    (12345.6, {"digits": 4}, "12350"),
    (9.9996, {"digits": 4}, "10.00"),
    (10**6, {"digits": 1, "sci": True}, r"\tenpow{6}"),
    (5.6e-4, {}, r"\sci{5.600}{-4}"),
    (5.6e-4, {"digits": 2}, r"\sci{5.6}{-4}"),
    (1.24e5, {}, r"\sci{1.240}{5}"),
    (0.5, {"sci": True, "digits": 2}, r"\sci{5.0}{-1}"),
    (-0.25, {}, r"\ensuremath{-0.25}"),
    (0.0, {}, "0"),
    ("50% & $5_a", {}, r"50\% \& \$5\_a"),
])
def test_values_are_formatted_by_their_declaration(result, options, latex):
    assert fragments.format_value(result, digits=options.get("digits"), decimals=options.get("decimals"),
                                  sci_=options.get("sci")) == latex


def test_latex_objects_pass_through_unescaped():
    from pylatex import NoEscape, Tabular

    assert fragments.format_value(NoEscape(r"$\tanh$")) == r"$\tanh$"
    table = Tabular("l")
    table.add_row(["a_b"])
    assert fragments.format_value(table) == table.dumps()


@pytest.mark.parametrize("result, message", [
    (True, "returned a bool"), (float("nan"), "cannot show"), ([1, 2], "returned list"),
])
def test_values_the_text_cannot_show(result, message):
    with pytest.raises((TypeError, ValueError), match=message):
        fragments.format_value(result)


@pytest.mark.parametrize("value, digits, expected", [
    (3.6e-16, 2, ("3.6", "-16")), (9.96e-3, 2, ("1.0", "-2")), (1.0, 3, ("1.00", "0")), (0.0, 2, ("0", "0")),
])
def test_mantissa_and_exponent(value, digits, expected):
    assert fragments.mantissa_exponent(value, digits) == expected


def test_marks():
    assert fragments.mark(0.0) == r"\verifiedexact"
    assert fragments.mark(3.92e-16) == r"\verified{3.9}{-16}"


def test_index_names_every_declaration_but_mistakes_and_checks_nothing_else(tmp_path):
    def decl(name, kind, inputs=(), wrong=False):
        return Declaration(name, kind, "doc.m", name.split(".")[1], "doc/m.py", 3, inputs, wrong, "0")

    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "m-v.tex").write_text(fragments.value_fragment("m.v", "doc/m.py:3", "4.2"))
    claim = fragments.claim_fragment("m.c", "doc/m.py:3", "a &= b", "", 0.0, "x", 2)
    (tmp_path / "fragments" / "m-c.tex").write_text(claim)
    found = [decl("m.run", "experiment"), decl("m.v", "value", ("m.run",)), decl("m.c", "claim"),
             decl("m.bad", "claim", wrong=True), decl("m.plot_a", "figure", ("m.run",))]
    index = fragments.index(found, tmp_path)
    # the fragments' text itself, not an \input each (one file for TeX to open)
    assert "\\input" not in index
    assert r"\hwsetvalue{m.v}{4.2}" in index and r"\hwsetclaim{m.c}{a &= b}{}{\verifiedexact}" in index
    lines = index.splitlines()
    assert fragments.declaration_at(index, lines.index(r"\hwsetvalue{m.v}{4.2}") + 1) == "m.v"
    assert fragments.declaration_at(index, len(lines)) is None      # a figure's provenance note
    assert "m.bad" not in index
    assert r"\hwsetfigure{m.plot_a}{m-plot_a.pdf}" in index
    assert (r"\hwsetmadeby{m.plot_a}{computed by \texttt{m.run}, drawn by \texttt{m.plot\_a}, doc/m.py}"
            in index)


def test_a_fragment_argument_must_balance_its_braces():
    assert fragments.argument(r"\frac{1}{2} \{x\}") == r"\frac{1}{2} \{x\}"
    assert fragments.argument("a%}\nb") == "a%}\nb"            # a brace in a comment does not count
    assert fragments.argument(r"x\\{y}") == r"x\\{y}"          # \\ then a group
    # a last line ending in a comment would hide the closing brace of \hwsetvalue
    assert fragments.argument("\\toprule%") == "\\toprule%\n"
    with pytest.raises(ValueError, match="leaves 1 brace"):
        fragments.argument(r"\frac{1}{2")
    with pytest.raises(ValueError, match="closes a brace it never opened"):
        fragments.argument("a}b{")
    with pytest.raises(ValueError, match="leaves 1 brace"):
        fragments.value_fragment("m.v", "doc/m.py:3", "{%}")


def test_number_gives_a_table_cell_the_typography_of_a_value():
    from pylatex import Tabular

    from hw1.engine import number

    assert number(-1.5) == r"\ensuremath{-1.5}"        # a true minus sign, not a hyphen
    assert number(np.float64(0.123456), digits=3) == fragments.format_value(0.123456, digits=3) == "0.123"
    assert number(-2.5e-7, digits=2) == fragments.format_value(-2.5e-7, digits=2)
    table = Tabular("rr")
    table.add_row([number(-1.5), number(3)])
    assert r"\ensuremath{-1.5}&3" in table.dumps()      # kept as LaTeX, not escaped
    with pytest.raises(TypeError, match="number\\(\\) formats a number, got str"):
        number("1.5")
    with pytest.raises(ValueError, match="nan"):
        number(float("nan"))
