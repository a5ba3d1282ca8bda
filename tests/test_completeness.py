"""The completeness check: unfinished work in doc/ is found, named by file and line, and
`invoke check --strict` fails on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_project, invoke

from hw1 import completeness


def scan_text(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "answer.tex"
    path.write_text(text, encoding="utf-8")
    return [f"{f.line}: {f.what}" for f in completeness.scan_file(path, root=tmp_path)]


@pytest.mark.parametrize("word", ["Blah", "TODO", "FIXME", "XXX", "blah"])
def test_placeholder_words_are_found_with_their_line(tmp_path, word):
    assert scan_text(tmp_path, f"First line.\nThe answer is {word} here.\n") == \
        [f"2: placeholder word {word!r}"]


def test_placeholder_in_a_comment_counts(tmp_path):
    assert scan_text(tmp_path, "Done.\n% TODO: check the sign\n") == ["2: placeholder word 'TODO'"]


def test_words_that_merely_contain_a_placeholder_do_not_count(tmp_path):
    assert scan_text(tmp_path, "Blahblah is not a word; TODOS neither; XXXL is a size.\n") == []


def test_bare_given(tmp_path):
    assert scan_text(tmp_path, "Given...\nGiven the data, we prove it.\n") == \
        ["1: a bare 'Given...' with nothing after it"]


def test_empty_proof_environments(tmp_path):
    text = ("\\begin{proof}\n\\end{proof}\n\n"
            "\\begin{proof}[Sketch]\n  % nothing yet\n  \\qedhere\n\\end{proof}\n\n"
            "\\begin{proof}\nIt follows from the lemma.\n\\end{proof}\n")
    assert scan_text(tmp_path, text) == ["1: empty proof environment", "4: empty proof environment"]


def test_the_not_yet_written_notice_but_not_its_definition(tmp_path):
    text = "\\newcommand{\\answerpending}{...}\n\\answerpending\n"
    assert scan_text(tmp_path, text) == ["2: answer not yet written (\\answerpending)"]


def test_the_real_document_has_only_the_pending_answers():
    found = [str(f) for f in completeness.scan()]
    assert found == [f"doc/problem{k}.tex:2: answer not yet written (\\answerpending)" for k in (6, 7, 10)]


@pytest.mark.slow
@pytest.mark.parametrize("addition, what", [
    ("Blah\n", "placeholder word 'Blah'"),
    ("\\begin{proof}\n\\end{proof}\n", "empty proof environment"),
])
def test_check_strict_fails_and_names_file_and_line(tmp_path, addition, what):
    project = copy_project(tmp_path / "hw1")
    target = project / "doc" / "problem3.tex"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[:5]) + addition + "".join(lines[5:]), encoding="utf-8")
    strict = invoke(project, "check", "--strict")
    assert strict.returncode != 0
    assert f"error: doc/problem3.tex:6: {what}" in strict.stdout
    relaxed = invoke(project, "check")
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert f"warning: doc/problem3.tex:6: {what}" in relaxed.stdout
