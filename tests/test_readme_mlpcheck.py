"""The README's "Check your own backprop" commands print what the README says they print.

Each block marked ``<!-- readme-test: command FIXTURE -->`` is a console session: ``$ COMMAND``
and its output.  The test copies FIXTURE (a file of tests/mlp_fixtures) to an empty folder as
``mlp.py``, runs COMMAND there in a fresh interpreter, and compares its output with the README's
line by line, every decimal number masked as in test_readme_backprop.py (float32 errors vary with
the CPU's kernels; verdicts, counts and diagnoses do not).  The exit status is 0 exactly when
every configuration passes."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from test_readme_backprop import README, SECTION, masked

ROOT = README.parent
COMMAND = re.compile(r"<!-- readme-test: command (\S+) -->\n```console\n\$ (.*?)\n(.*?)```", re.DOTALL)


def commands() -> list[tuple[str, str, str]]:
    text = README.read_text(encoding="utf-8")
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return COMMAND.findall(body)


def test_the_section_shows_a_right_and_a_wrong_file():
    assert [(fixture, command) for fixture, command, _ in commands()] == [
        ("tests/mlp_fixtures/mlp.py", "python -m hw1.gradcheck mlp.py"),
        ("tests/mlp_fixtures/half_in_mse.py", "python -m hw1.gradcheck mlp.py")]


@pytest.mark.parametrize(("fixture", "command", "want"), commands(), ids=lambda v: str(v)[:40])
def test_readme_commands_print_what_the_readme_says(tmp_path, fixture, command, want):
    shutil.copy(ROOT / fixture, tmp_path / "mlp.py")
    argv = shlex.split(command)
    assert argv[0] == "python"
    run = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert run.stderr == ""
    assert masked(run.stdout) == masked(want), "README.md output is stale; it now prints:\n" + run.stdout
    passed, total = map(int, re.match(r"mlp\.py: (\d+) of (\d+) configurations pass", run.stdout).groups())
    assert run.returncode == (0 if passed == total else 1)
