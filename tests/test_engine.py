"""The build engine's promises: incremental, reproducible, safe, and clear when it fails.

Most tests here compile the PDF in a throw-away copy of the project, so they are slow."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EPOCH, copy_project, invoke

slow = pytest.mark.slow


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@slow
def test_fresh_build_has_all_sections(built_project):
    pdf = built_project / "build" / "hw1.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ("Problem 1: Regression task", "Problem 2: Logistic loss on separable data",
                    "Problem 3: Gradient checks", "Section 2.2", "Problem 6", "Problem 7", "Problem 10"):
        assert heading in text


@slow
def test_noop_build_imports_nothing_heavy_and_runs_no_tex(project_copy):
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "invoke", "build-pdf"],
                         cwd=project_copy, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
                         capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & {"torch", "matplotlib", "sympy", "numpy", "scipy", "numba"}
    assert "0 rebuilt" in out.stdout
    assert "is up to date" in out.stdout
    assert "latex:" not in out.stdout


@slow
def test_touch_and_checkout_rerun_nothing(project_copy):
    for p in (project_copy / "hw1").rglob("*.py"):
        os.utime(p)                                   # new mtimes, same content
    out = invoke(project_copy, "build-pdf")
    assert out.returncode == 0 and "0 rebuilt" in out.stdout and "up to date" in out.stdout


@slow
def test_prose_edit_reruns_only_latex(project_copy):
    edit(project_copy / "doc" / "problem3.tex", "Every gradient that hw1", "Each gradient that hw1")
    out = invoke(project_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 rebuilt" in out.stdout
    assert "changed: doc/problem3.tex" in out.stdout


@slow
def test_logistic_edit_reruns_only_problem2(project_copy):
    with open(project_copy / "hw1" / "logistic.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit that changes the file's content\n")
    out = invoke(project_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    rebuilt = {line.split()[1].rstrip(":") for line in out.stdout.splitlines()
               if line.strip().startswith("built ")}
    assert rebuilt and all(name.startswith("p2-") for name in rebuilt), rebuilt
    assert "p2-implicit-bias" in rebuilt and "p2-claims" in rebuilt


@slow
def test_explain_says_why(project_copy):
    out = invoke(project_copy, "build-pdf", "--explain")
    assert "reused   p1-claims: sources, parameters, libraries and inputs unchanged" in out.stdout
    assert "reused   LaTeX: no TeX input changed" in out.stdout


@slow
def test_two_clean_builds_are_byte_identical(built_project, tmp_path):
    time.sleep(1.1)   # a different second, so a timestamp that leaked would show
    other = copy_project(tmp_path / "elsewhere" / "deeper" / "hw1")
    out = invoke(other, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sha(other / "build" / "hw1.pdf") == sha(built_project / "build" / "hw1.pdf")


@slow
def test_failed_build_keeps_previous_pdf_and_points_at_the_source(project_copy):
    before = sha(project_copy / "build" / "hw1.pdf")
    edit(project_copy / "doc" / "problem3.tex", r"\paragraph{Relative error.}",
         r"\paragraph{Relative error.} \undefinedmacro")
    source = (project_copy / "doc" / "problem3.tex").read_text().splitlines()
    lineno = next(n for n, line in enumerate(source, 1) if r"\undefinedmacro" in line)
    out = invoke(project_copy, "build-pdf")
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert message[0] == f"build-pdf failed: doc/problem3.tex:{lineno}: Undefined control sequence."
    assert len(message) <= 10, message
    assert any("build/tex/hw1.log" in line for line in message)
    assert sha(project_copy / "build" / "hw1.pdf") == before


@slow
def test_error_in_generated_fragment_names_its_producer(project_copy, monkeypatch):
    # a producer that writes broken LaTeX: the message must name the fragment and the function
    edit(project_copy / "hw1" / "typeset" / "settings.py", 'define("ClaimPoints", str(claims.POINTS)),',
         'define("ClaimPoints", str(claims.POINTS)), "\\\\brokenmacro",')
    out = invoke(project_copy, "build-pdf")
    assert out.returncode != 0
    assert "build/generated/settings.tex:" in out.stderr
    assert "generated by hw1.typeset.settings:constants" in out.stderr


@slow
def test_write18_is_blocked(project_copy):
    marker = project_copy / "pwned"
    edit(project_copy / "doc" / "problem3.tex", r"\section*{Problem 3: Gradient checks}",
         r"\section*{Problem 3: Gradient checks}\immediate\write18{touch pwned}")
    out = invoke(project_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not marker.exists()
    log = (project_copy / "build" / "tex" / "hw1.log").read_text(encoding="latin-1")
    assert "write18 enabled" not in log


@slow
def test_corrupted_cache_entry_is_rebuilt(project_copy):
    figure = project_copy / "figures" / "p3-eps.pdf"
    figure.write_bytes(figure.read_bytes()[:100])            # truncated
    data = project_copy / "build" / "cache" / "data" / "p2-ray.json"
    data.write_text(data.read_text()[:-50])                   # corrupted JSON
    out = invoke(project_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "p3-eps-figure (figures/p3-eps.pdf does not match its recorded hash" in out.stdout
    assert "p2-ray (build/cache/data/p2-ray.json does not match its recorded hash" in out.stdout
    manifest = json.loads((project_copy / "build" / "cache" / "manifest.json").read_text())
    assert manifest["artifacts"]["p3-eps-figure"]["outputs"]["figures/p3-eps.pdf"] == sha(figure)


@slow
def test_corrupted_manifest_means_rebuild_not_crash(project_copy):
    (project_copy / "build" / "cache" / "manifest.json").write_text("{ not json")
    out = invoke(project_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 reused" in out.stdout


@slow
def test_concurrent_build_is_refused_clearly(project_copy):
    lock = project_copy / "build" / ".lock"
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("pid 4242, started 12:00:00")
        handle.flush()
        out = invoke(project_copy, "build-pdf")
    assert out.returncode != 0
    assert "another build is running (pid 4242, started 12:00:00)" in out.stderr
    assert out.stderr.count("\n") <= 3


@slow
def test_interrupted_build_leaves_nothing_trusted(project_copy):
    # change Problem 2's module so that several artifacts must be recomputed, interrupt the
    # build while it computes, and check that the next build redoes what was cut short
    with open(project_copy / "hw1" / "problem2.py", "a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "build-pdf"], cwd=project_copy,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    for line in proc.stdout:
        seen += line
        if "building p2-" in line:
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    leftovers = [p for p in project_copy.rglob(".*.tmp-*")]
    assert not leftovers, leftovers
    out = invoke(project_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "building p2-claims" in out.stdout or "building p2-ray" in out.stdout
    again = invoke(project_copy, "build-pdf")
    assert "0 rebuilt" in again.stdout and "up to date" in again.stdout


@slow
def test_wrong_claim_stops_build_and_check(project_copy):
    # a factor 5 on db2, as in the draft: the build must refuse and name the claim
    before = sha(project_copy / "build" / "hw1.pdf")
    edit(project_copy / "hw1" / "problem1.py", "DB2 = T(DELTA3)", "DB2 = mm(5, T(DELTA3))")
    out = invoke(project_copy, "build-pdf")
    assert out.returncode != 0
    assert "p1.backward.db2" in out.stderr and "FAILED" in out.stderr
    assert sha(project_copy / "build" / "hw1.pdf") == before
    check = invoke(project_copy, "check")
    assert check.returncode != 0
    assert any(line.startswith("p1.backward.db2") and line.endswith("FAIL")
               for line in check.stdout.splitlines())


@slow
def test_every_claim_appears_verbatim_in_the_generated_latex(built_project):
    from hw1 import claims

    generated = "\n".join(p.read_text(encoding="utf-8")
                          for p in (built_project / "build" / "generated").glob("*.tex"))
    missing = [c.name for c in claims.all_claims() if c.latex not in generated]
    assert not missing


@slow
def test_build_log_is_clean(built_project):
    from hw1.engine.latex import summarize

    summary = summarize((built_project / "build" / "tex" / "hw1.log").read_text(encoding="latin-1"))
    assert summary.overfull == 0 and summary.undefined_refs == 0 and summary.undefined_cites == 0
    assert summary.missing_chars == 0 and not summary.shell_escape


@slow
def test_no_generated_latex_is_escaped_twice(built_project):
    """Math meant for TeX must reach it as math: an escaped dollar or backslash in a fragment
    prints as '$' or '\\' in the PDF."""
    for path in (built_project / "build" / "generated").glob("*.tex"):
        text = path.read_text(encoding="utf-8")
        assert "\\$" not in text and "\\textbackslash" not in text, path.name
    text = subprocess.run(["pdftotext", str(built_project / "build" / "hw1.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "$" not in text and "\\tanh" not in text


@slow
def test_python_error_names_the_artifact_and_where(project_copy):
    before = sha(project_copy / "build" / "hw1.pdf")
    edit(project_copy / "hw1" / "typeset" / "settings.py", "def constants(ctx) -> None:\n",
         "def constants(ctx) -> None:\n    raise RuntimeError('boom')\n")
    out = invoke(project_copy, "build-pdf")
    assert out.returncode != 0
    assert ("computing settings (hw1.typeset.settings:constants) failed at hw1/typeset/settings.py:"
            in out.stderr)
    assert "RuntimeError: boom" in out.stderr
    assert "Traceback" not in out.stderr
    assert sha(project_copy / "build" / "hw1.pdf") == before
