"""When TeX stops, the build says what TeX said and what it was about: a damaged format is
made again rather than loaded, an error without file:line shows TeX's own last error line
(from what it printed when the log is not this run's), names the file and the declaration
involved, and file names are UTF-8.  Fast tests on TeX's texts, slow ones on the fixture."""

from __future__ import annotations

import pytest
from conftest import edit, invoke, line_of

from hw1.engine import latex

FATAL_FORMAT = ("This is pdfTeX, Version 3.141592653-2.6-1.40.24 (TeX Live 2022/Debian) "
                "(preloaded format=main)\n(Fatal format file error; I'm stymied)\n")
BUFSIZE = ("(doc/part.tex (/usr/share/texlive/texmf-dist/tex/latex/amsfonts/umsa.fd)\n"
           "! Unable to read an entire line---bufsize=200000.\nPlease increase buf_size in texmf.cnf.\n")
BAD_FIGURE = ("(/usr/share/texlive/texmf-dist/tex/latex/amsfonts/umsb.fd)\n"
              "!pdfTeX error: pdflatex (file figures/mini-curve.pdf): xpdf: reading PDF image \n"
              "failed\n ==> Fatal error occurred, no output PDF file produced!\n")
EPOCH = ("pdflatex: fatal: invalid epoch-seconds-timezone value for environment variable "
         "$SOURCE_DATE_EPOCH: x.\n")
STOP = "! Undefined control sequence.\nl.5 \\foo\n\n! Emergency stop.\n<*> doc/main.tex\n"


@pytest.mark.parametrize("text, said", [
    (FATAL_FORMAT, "Fatal format file error; I'm stymied"),
    (BUFSIZE, "Unable to read an entire line---bufsize=200000."),
    ("! TeX capacity exceeded, sorry [input stack size=10000].\n\\emph #1->\\emph {#1}\n",
     "TeX capacity exceeded, sorry [input stack size=10000]."),
    (BAD_FIGURE, "pdflatex (file figures/mini-curve.pdf): xpdf: reading PDF image failed"),
    (EPOCH, "invalid epoch-seconds-timezone value for environment variable $SOURCE_DATE_EPOCH: x."),
    (STOP, "Undefined control sequence."),
    ("Output written on build/main.pdf (1 page).\n", None),
])
def test_texs_own_last_error_line_is_found(text, said):
    assert latex.tex_said(text) == said


def test_an_error_printed_but_not_in_the_log_is_shown_not_a_generic_line():
    message = latex.explain_error("", {}, FATAL_FORMAT)
    assert message.startswith("LaTeX failed: Fatal format file error; I'm stymied")
    assert "without a file:line error" not in message


def test_a_damaged_figure_names_the_declaration_that_draws_it():
    producers = {"figures/mini-curve.pdf": "figure mini.curve (doc/mini.py:32)"}
    message = latex.explain_error("", producers, BAD_FIGURE)
    assert message.splitlines()[:2] == [
        "LaTeX failed: pdflatex (file figures/mini-curve.pdf): xpdf: reading PDF image failed",
        "  figures/mini-curve.pdf is made by figure mini.curve (doc/mini.py:32); it is damaged, or changed "
        "while TeX read it: build again to make it anew"]


def test_a_file_line_error_is_taken_from_what_tex_printed_when_the_log_is_not_this_runs():
    printed = "(./doc/part.tex\ndoc/part.tex:1: Undefined control sequence.\nl.1 \\oops\n"
    assert latex.explain_error("", {}, printed).startswith("doc/part.tex:1: Undefined control sequence.")


def _grow_line(path, n: int) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("a" * n + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_format_is_made_again_not_loaded(fixture_copy, damage):
    fmt = fixture_copy / "build" / "tex" / "fmt" / "main.fmt"
    assert fmt.is_file()
    data = fmt.read_bytes()
    fmt.write_bytes(bytes(range(256)) * 400 if damage == "garbage" else data[: len(data) // 3])
    edit(fixture_copy / "doc" / "part.tex", "The slope", "Now the slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    again = invoke(fixture_copy, "build-pdf")
    assert again.returncode == 0 and fmt.read_bytes() == data     # the same preamble: the same format


@pytest.mark.slow
def test_a_line_too_long_for_tex_is_named_with_its_file_and_line(fixture_copy):
    part = fixture_copy / "doc" / "part.tex"
    _grow_line(part, 300_000)
    lineno = len(part.read_text(encoding="utf-8").splitlines())
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert "LaTeX failed: Unable to read an entire line---bufsize=" in out.stderr, out.stderr
    assert f"doc/part.tex:{lineno} is longer than the" in out.stderr


@pytest.mark.slow
def test_a_value_too_long_for_tex_is_named(fixture_copy):
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "return 2.0", 'return "a" * 300_000')
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert "Unable to read an entire line" in out.stderr, out.stderr
    where = f"doc/mini.py:{line_of(module, 'def slope_at_one')}"
    assert f"that line is the LaTeX of value mini.slope_at_one ({where})" in out.stderr


@pytest.mark.slow
def test_a_source_date_epoch_that_is_not_a_number_is_named(fixture_copy):
    edit(fixture_copy / "doc" / "part.tex", "The slope", "Now the slope")
    out = invoke(fixture_copy, "build-pdf", env={"SOURCE_DATE_EPOCH": "garbage"})
    assert out.returncode != 0
    assert "SOURCE_DATE_EPOCH='garbage' is not a number of seconds" in out.stderr, out.stderr
    assert invoke(fixture_copy, "build-pdf").returncode == 0


@pytest.mark.slow
def test_a_tex_error_in_a_file_named_in_utf8_is_reported_with_its_name_and_line(fixture_copy):
    (fixture_copy / "doc" / "ünï.tex").write_text("Fine.\n\\undefinedthing here\n", encoding="utf-8")
    edit(fixture_copy / "doc" / "main.tex", "\\input{part}", "\\input{part}\n\\input{ünï}")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert "doc/ünï.tex:2: Undefined control sequence." in out.stderr, out.stderr
    assert "  2 | \\undefinedthing here" in out.stderr
