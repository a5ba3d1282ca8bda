"""A document with another preamble and a bibliography (tests/fixture_bib): bibtex runs between
the passes, the precompiled preamble is used although the preamble sets nothing for it, the
.bib file is a tracked input, and verified.sty loads beside xcolor with options of its own.

These tests compile PDFs in throw-away copies, so they are slow."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import edit, invoke, make_fixture

slow = pytest.mark.slow


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@slow
def test_citations_are_resolved_by_bibtex(built_bib_fixture):
    text = " ".join(pdftext(built_bib_fixture / "build" / "main.pdf").split())
    assert "Both Knuth [1] and Lamport [2] typeset such numbers." in text
    assert "References" in text and "The TEXbook. Addison-Wesley, 1984." in text
    assert "An entry no one cites" not in text          # bibtex lists only what is cited
    log = (built_bib_fixture / "build" / "tex" / "main.log").read_text(encoding="latin-1")
    assert "Warning: Citation" not in log and "undefined" not in log


@slow
def test_the_svgnames_colour_and_the_figure_note_are_there(built_bib_fixture):
    text = pdftext(built_bib_fixture / "build" / "main.pdf")
    assert "an svgnames colour" in text
    assert "drawn by mini.curve" in text          # verified.sty's default: the note under \fig


@slow
def test_the_precompiled_preamble_is_used_without_pdftrailerid_in_it(built_bib_fixture):
    preamble = (built_bib_fixture / "doc" / "main.tex").read_text().partition("\\begin{document}")[0]
    assert "\\pdftrailerid{" not in preamble and "pdfsuppressptexinfo" not in preamble
    manifest = json.loads((built_bib_fixture / "build" / "cache" / "manifest.json").read_text())
    assert manifest["tex"]["format"]["trusted"] is True
    pdf = (built_bib_fixture / "build" / "main.pdf").read_bytes()
    assert b"/ID [" not in pdf and b"PTEX.FileName" not in pdf


@slow
def test_two_clean_builds_with_a_bibliography_are_byte_identical(built_bib_fixture, tmp_path):
    time.sleep(1.1)   # a different second, so a timestamp that leaked would show
    other = make_fixture(tmp_path / "elsewhere" / "proj", "fixture_bib")
    out = invoke(other, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sha(other / "build" / "main.pdf") == sha(built_bib_fixture / "build" / "main.pdf")


@slow
def test_editing_the_bib_file_rebuilds_the_pdf(bib_copy):
    edit(bib_copy / "doc" / "refs.bib", "{The {\\TeX}book}", "{The {\\TeX}book, Volume A}")
    out = invoke(bib_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 rebuilt" in out.stdout and "changed: doc/refs.bib" in out.stdout
    assert "The TEXbook, Volume A." in " ".join(pdftext(bib_copy / "build" / "main.pdf").split())
    again = invoke(bib_copy, "build-pdf")
    assert "latex:" not in again.stdout and "is up to date" in again.stdout


@slow
def test_a_new_citation_is_resolved_in_one_build(bib_copy):
    edit(bib_copy / "doc" / "part.tex", "typeset such numbers.", r"typeset such numbers \citep{uncited2000}.")
    out = invoke(bib_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 undefined citations" in out.stdout
    text = " ".join(pdftext(bib_copy / "build" / "main.pdf").split())
    # plainnat sorts by author: Cited, Knuth, Lamport
    assert "Both Knuth [2] and Lamport [3] typeset such numbers [1]." in text
    assert "An entry no one cites" in text


@slow
def test_a_missing_bib_file_is_named(bib_copy):
    (bib_copy / "doc" / "refs.bib").unlink()
    out = invoke(bib_copy, "build-pdf")
    assert out.returncode != 0
    assert "bibtex failed" in out.stderr and "refs.bib" in out.stderr, out.stderr
    assert "build/tex/main.blg" in out.stderr


@slow
def test_nofignotes_leaves_out_the_note_under_a_figure(bib_copy):
    edit(bib_copy / "doc" / "main.tex", r"\usepackage{verified}", r"\usepackage[nofignotes]{verified}")
    out = invoke(bib_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    text = pdftext(bib_copy / "build" / "main.pdf")
    assert "drawn by mini.curve" not in text and "A curve" in text


@pytest.fixture
def bib_copy(built_bib_fixture, tmp_path) -> Path:
    from conftest import copy_built

    return copy_built(built_bib_fixture, tmp_path / "proj")
