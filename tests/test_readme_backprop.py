"""The README's "Check your own backprop" examples run, and print what the README says they print.

The code blocks marked ``<!-- readme-test: example -->`` in that section run in order in one
namespace; the output each prints is compared line by line with the block marked
``<!-- readme-test: output -->`` that follows it, every decimal number masked (errors of float32
code vary with the CPU's kernels; the verdicts, shapes, names and diagnoses do not)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Check your own backprop"
BLOCK = re.compile(r"<!-- readme-test: (example|output) -->\n```(?:python|text)\n(.*?)```", re.DOTALL)
NUMBER = re.compile(r"\d+\.\d+(?:e[+-]\d+)?|\d+e[+-]\d+")

pytestmark = pytest.mark.usefixtures("one_torch_thread")   # see conftest.py


def section_blocks() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    assert text.count(SECTION) == 1, f"README.md must have one section {SECTION!r}"
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return BLOCK.findall(body)


def masked(text: str) -> list[str]:
    return [NUMBER.sub("#", line.rstrip()) for line in text.strip("\n").splitlines()]


def test_the_section_has_examples_each_with_its_output():
    kinds = [kind for kind, _ in section_blocks()]
    assert kinds == ["example", "output"] * 2


def test_masking_keeps_the_words_and_hides_the_numbers():
    assert masked("  b2     (3,)   8.00e-01  2.8e+05  0.035  3e+05  FAIL: factor 1/B = 1/8 ") == \
        ["  b2     (3,)   #  #  #  #  FAIL: factor 1/B = 1/8"]


def test_readme_examples_print_what_the_readme_says():
    namespace: dict = {"__name__": "readme_example"}
    blocks = section_blocks()
    for (kind, code), (next_kind, want) in zip(blocks[::2], blocks[1::2], strict=True):
        assert (kind, next_kind) == ("example", "output")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{README.name} example", "exec"), namespace)   # noqa: S102
        assert masked(out.getvalue()) == masked(want), "README.md output is stale; it now prints:\n" + \
            out.getvalue()
    assert namespace["report"].rows[0].diagnosis == "transposed"     # the last example's report
