"""Reading the hand-written LaTeX (hw1.engine.texscan): the names it uses, display math typed
by hand, unfinished work and environments left open, each with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw1.engine import texscan
from hw1.engine.discover import Declaration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answer.tex"
    path.write_text(text, encoding="utf-8")
    return path


def lines(findings) -> list[str]:
    return [f"{f.line}: {f.what}" for f in findings]


# -- names -----------------------------------------------------------------------------------------
def test_references_with_their_lines_and_macros(tmp_path):
    path = write(tmp_path, "A \\val{m.a} and \\val{m.b}.\n\\claims*{m.c, m.d}\n% \\fig{m.commented}\n"
                           "\\fig{m.e}\\madeby{m.e}\n\\valdef\\first{m.f}\n\\claim{ m.g }\n")
    got = [(r.line, r.macro, r.name, r.starred) for r in texscan.references(path)]
    assert got == [(1, "val", "m.a", False), (1, "val", "m.b", False), (2, "claims", "m.c", True),
                   (2, "claims", "m.d", True), (4, "fig", "m.e", False), (4, "madeby", "m.e", False),
                   (5, "valdef", "m.f", False), (6, "claim", "m.g", False)]


def _decl(name: str, kind: str, wrong: bool = False) -> Declaration:
    return Declaration(name, kind, "doc.m", name.split(".")[1], "doc/m.py", 7, (), wrong, "0")


DECLARED = {d.name: d for d in (_decl("m.slope", "value"), _decl("m.curve", "figure"),
                                _decl("m.dW2", "claim"), _decl("m.draft", "claim", wrong=True),
                                _decl("m.run", "experiment"))}


@pytest.mark.parametrize("tex, message", [
    ("\\val{m.slop}", "1: unknown value 'm.slop'; closest: m.slope"),
    ("\n\\claim{m.dw2}", "2: unknown claim 'm.dw2'; closest: m.dW2"),
    ("\\fig{m.zzz}", "1: unknown figure 'm.zzz'; known figures: m.curve"),
    ("\\claim{m.draft}", "1: unknown claim 'm.draft': m.draft is declared wrong=True at doc/m.py:7, "
                         "a mistake kept on record"),
    ("\\val{m.curve}", "1: \\val shows a value, but m.curve is a figure (doc/m.py:7)"),
    ("\\val{m.run}", "1: \\val shows a value, but m.run is an experiment (doc/m.py:7)"),
])
def test_names_that_do_not_resolve(tmp_path, tex, message):
    found = texscan.check_references(texscan.references(write(tmp_path, tex)), DECLARED)
    assert lines(found) == [message]


def test_names_that_resolve(tmp_path):
    tex = "\\val{m.slope} \\fig{m.curve} \\claims{m.dW2} \\madeby{m.run} \\madeby{m.curve}"
    assert texscan.check_references(texscan.references(write(tmp_path, tex)), DECLARED) == []


# -- unfinished work -------------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["Blah", "TODO", "FIXME", "XXX", "blah", "TBD"])
def test_placeholder_words_are_found_with_their_line(tmp_path, word):
    path = write(tmp_path, f"First line.\nThe answer is {word} here.\n")
    assert lines(texscan.find_unfinished(path)) == [f"2: placeholder word {word!r}"]


def test_placeholder_in_a_comment_counts(tmp_path):
    assert lines(texscan.find_unfinished(write(tmp_path, "Done.\n% TODO: check the sign\n"))) == \
        ["2: placeholder word 'TODO'"]


def test_words_that_merely_contain_a_placeholder_do_not_count(tmp_path):
    path = write(tmp_path, "Blahblah is not a word; TODOS neither; XXXL is a size.\n")
    assert texscan.find_unfinished(path) == []


def test_bare_given(tmp_path):
    path = write(tmp_path, "Given...\nGiven the data, we prove it.\n")
    assert lines(texscan.find_unfinished(path)) == ["1: a bare 'Given...' with nothing after it"]


def test_empty_proof_environments(tmp_path):
    text = ("\\begin{proof}\n\\end{proof}\n\n"
            "\\begin{proof}[Sketch]\n  % nothing yet\n  \\qedhere\n\\end{proof}\n\n"
            "\\begin{proof}\nIt follows from the lemma.\n\\end{proof}\n")
    assert lines(texscan.find_unfinished(write(tmp_path, text))) == \
        ["1: empty proof environment", "4: empty proof environment"]


def test_the_not_yet_written_notice_but_not_its_definition(tmp_path):
    text = "\\newcommand{\\answerpending}{...}\n\\answerpending\n"
    found = texscan.find_unfinished(write(tmp_path, text))
    assert lines(found) == ["2: answer not yet written (\\answerpending)"]


# -- environments left open ------------------------------------------------------------------------
def test_environments_left_open_or_closed_twice(tmp_path):
    text = ("\\begin{figure}\n\\centering\n"                     # 1: never closed
            "\\begin{itemize}\\item a\\end{itemize}\n"
            "\\end{table}\n")                                     # 4: closed, never opened
    assert lines(texscan.unclosed(write(tmp_path, text))) == [
        "1: \\begin{figure} is never closed in this file",
        "4: \\end{table} without a \\begin{table} in this file"]


def test_scan_reads_every_tex_file_of_the_folder(tmp_path):
    (tmp_path / "a.tex").write_text("\\val{m.slope}\n$$ x $$\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.tex").write_text("TODO\n")
    refs, todo = texscan.scan(tmp_path)
    assert [r.name for r in refs] == ["m.slope"] and [f.line for f in todo] == [1]
