"""The build engine's promises, on the small fixture document (tests/fixture_doc): incremental,
reproducible, safe, and clear when it fails, with every error at the author's file and line.
Those that hold for any document run on the second fixture too (tests/fixture_bib: another
preamble, a bibliography).

These tests compile PDFs in throw-away copies, so they are slow."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EPOCH, edit, invoke, line_of, make_fixture

slow = pytest.mark.slow


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pdftext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def rebuilt(stdout: str) -> set[str]:
    return {line.split()[1] for line in stdout.splitlines() if line.startswith("  building ")}


@slow
def test_the_fixture_builds_with_its_claim_value_and_figure(any_built_fixture):
    text = pdftext(any_built_fixture / "build" / "main.pdf")
    assert "The slope of the square at one is 2.00." in text
    assert "✓" in text                                        # the claim's mark
    assert "drawn by mini.curve" in text and "doc/mini.py" in text   # provenance, generated
    assert (any_built_fixture / "figures" / "mini-curve.pdf").is_file()


@slow
def test_pdf_metadata_carries_title_and_author(built_fixture):
    info = subprocess.run(["pdfinfo", str(built_fixture / "build" / "main.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert "Title:           Fixture" in info and "Author:          A. Tester" in info


@slow
def test_noop_build_imports_nothing_heavy_and_runs_no_tex(any_fixture_copy):
    # a copy: new inodes, a full look first
    assert "0 rebuilt" in invoke(any_fixture_copy, "build-pdf").stdout
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "invoke", "build-pdf"],
                         cwd=any_fixture_copy, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
                         capture_output=True, text=True, check=True)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & {"torch", "matplotlib", "sympy", "numpy", "scipy", "numba", "pylatex", "tomllib"}
    assert "0 rebuilt" in out.stdout and "is up to date" in out.stdout
    assert "latex:" not in out.stdout
    modules = {line.split("|")[-1].strip() for line in out.stderr.splitlines()
               if line.startswith("import time:")}
    assert "hw1.engine.noop" in modules and "hw1.engine.build" not in modules   # answered before loading it


@slow
def test_touch_reruns_nothing(any_fixture_copy):
    for p in [*(any_fixture_copy / "hw1").rglob("*.py"), *(any_fixture_copy / "doc").iterdir()]:
        os.utime(p)                                   # new mtimes, same content
    out = invoke(any_fixture_copy, "build-pdf")
    assert out.returncode == 0 and "0 rebuilt" in out.stdout and "up to date" in out.stdout


@slow
def test_prose_edit_reruns_only_latex(any_fixture_copy):
    edit(any_fixture_copy / "doc" / "part.tex", "The slope", "Indeed, the slope")
    out = invoke(any_fixture_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 rebuilt" in out.stdout
    assert "changed: doc/part.tex" in out.stdout


@slow
def test_editing_one_figure_redraws_only_that_figure(fixture_copy):
    edit(fixture_copy / "doc" / "mini.py", "ax.plot(samples", "ax.semilogy(samples")
    out = invoke(fixture_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert rebuilt(out.stdout) == {"mini.curve"}
    assert "mini.curve (its code in doc/mini.py changed)" in out.stdout


@slow
def test_changing_a_parameter_recomputes_the_experiment_and_its_readers(fixture_copy):
    edit(fixture_copy / "doc" / "mini.py", "@experiment(n=5)", "@experiment(n=7)")
    out = invoke(fixture_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert rebuilt(out.stdout) == {"mini.samples", "mini.curve"}
    assert "mini.curve (input mini.samples changed)" in out.stdout


@slow
def test_editing_shared_code_recomputes_its_module(fixture_copy):
    edit(fixture_copy / "doc" / "mini.py", 'x = sp.Symbol("x")', 'x = sp.Symbol("x")\nY = 1')
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert rebuilt(out.stdout) == {"mini.samples", "mini.curve", "mini.derivative", "mini.slope_at_one"}


@slow
def test_explain_says_why(fixture_copy):
    out = invoke(fixture_copy, "build-pdf", "--explain")
    assert "reused   mini.curve: code, libraries and inputs unchanged" in out.stdout
    assert "reused   LaTeX: no TeX input changed" in out.stdout


@slow
def test_two_clean_builds_are_byte_identical(any_built_fixture, tmp_path):
    time.sleep(1.1)   # a different second, so a timestamp that leaked would show
    fixture = "fixture_bib" if (any_built_fixture / "doc" / "refs.bib").is_file() else "fixture_doc"
    other = make_fixture(tmp_path / "elsewhere" / "deeper" / "proj", fixture)
    out = invoke(other, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert sha(other / "build" / "main.pdf") == sha(any_built_fixture / "build" / "main.pdf")


@slow
def test_failed_build_keeps_previous_pdf_and_points_at_the_source(any_fixture_copy):
    before = sha(any_fixture_copy / "build" / "main.pdf")
    part = any_fixture_copy / "doc" / "part.tex"
    edit(part, r"\claim{mini.derivative}", r"\claim{mini.derivative} \undefinedmacro")
    out = invoke(any_fixture_copy, "build-pdf")
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert message[0] == f"build-pdf failed: doc/part.tex:{line_of(part, 'undefinedmacro')}: " \
                         "Undefined control sequence."
    assert len(message) <= 10, message
    assert any("build/tex/main.log" in line for line in message)
    assert sha(any_fixture_copy / "build" / "main.pdf") == before


@slow
def test_an_environment_left_open_in_an_input_file_is_named_there(fixture_copy):
    part = fixture_copy / "doc" / "part.tex"
    edit(part, "  \\caption{A curve.}\n\\end{figure}\n", "  \\caption{A curve.}\n")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    first = out.stderr.strip().splitlines()[0]
    assert first == f"build-pdf failed: doc/part.tex:{line_of(part, 'begin{figure}')}: " \
                    "\\begin{figure} is never closed in this file", out.stderr


def add_latex_value(project, name: str, latex: str) -> None:
    """Declare in the fixture's module a value ``name`` that returns ``latex`` as is."""
    with open(project / "doc" / "mini.py", "a", encoding="utf-8") as f:
        f.write(f"\n\n@value\ndef {name}():\n    from pylatex import NoEscape\n\n"
                f"    return NoEscape({latex!r})\n")


@slow
def test_error_in_generated_fragment_names_its_producer(fixture_copy):
    add_latex_value(fixture_copy, "broken", r"\brokenmacro")
    edit(fixture_copy / "doc" / "part.tex", "The slope", r"\val{mini.broken} The slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    module = fixture_copy / "doc" / "mini.py"
    assert ("the LaTeX shown by mini.broken comes from value mini.broken "
            f"(doc/mini.py:{line_of(module, 'def broken')}): fix the code that makes it") in out.stderr


@slow
def test_error_in_a_values_latex_at_its_definition_names_its_producer(fixture_copy):
    # a # cannot stand in a macro's definition: TeX stops in the index of names, at its line
    add_latex_value(fixture_copy, "hashed", "a # b")
    edit(fixture_copy / "doc" / "part.tex", "The slope", r"\val{mini.hashed} The slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    module = fixture_copy / "doc" / "mini.py"
    assert "build/generated/verified-names.tex:" in out.stderr, out.stderr
    assert ("that line is the LaTeX of value mini.hashed "
            f"(doc/mini.py:{line_of(module, 'def hashed')}): fix the code that makes it") in out.stderr


@slow
def test_a_value_whose_latex_leaves_a_brace_open_is_named_before_tex_runs(fixture_copy):
    add_latex_value(fixture_copy, "opened", r"\frac{1}{2")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    module = fixture_copy / "doc" / "mini.py"
    assert f"value mini.opened (doc/mini.py:{line_of(module, 'def opened')})" in out.stderr, out.stderr
    assert "leaves 1 brace(s) open" in out.stderr and "latex: compiling" not in out.stdout


@slow
def test_write18_is_blocked(any_fixture_copy):
    marker = any_fixture_copy / "pwned"
    edit(any_fixture_copy / "doc" / "part.tex", "The slope", r"\immediate\write18{touch pwned}The slope")
    out = invoke(any_fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not marker.exists()
    log = (any_fixture_copy / "build" / "tex" / "main.log").read_text(encoding="latin-1")
    assert "write18 enabled" not in log


@slow
def test_corrupted_outputs_are_rebuilt(fixture_copy):
    figure = fixture_copy / "figures" / "mini-curve.pdf"
    figure.write_bytes(figure.read_bytes()[:100])            # truncated
    data = fixture_copy / "build" / "cache" / "data" / "mini.samples.json"
    data.write_text(data.read_text()[:-5])                   # corrupted JSON
    out = invoke(fixture_copy, "build-pdf", "--explain")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mini.curve (figures/mini-curve.pdf does not match its recorded hash" in out.stdout
    assert "mini.samples (build/cache/data/mini.samples.json does not match its recorded hash" in out.stdout
    manifest = json.loads((fixture_copy / "build" / "cache" / "manifest.json").read_text())
    assert manifest["artifacts"]["mini.curve"]["outputs"]["figures/mini-curve.pdf"] == sha(figure)


@slow
@pytest.mark.parametrize("content", ["{ not json", "[]", "null", "1", '{"format": 2, "artifacts": []}',
                                     '{"format": 2, "artifacts": {"mini.curve": 3}, "tex": 5}'])
def test_damaged_manifest_means_rebuild_not_crash(fixture_copy, content):
    (fixture_copy / "build" / "cache" / "manifest.json").write_text(content)
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 reused" in out.stdout


@slow
def test_concurrent_build_is_refused_clearly(fixture_copy):
    lock = fixture_copy / "build" / ".lock"
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write(f"pid {os.getpid()}, started 12:00:00")     # a live process: a build running
        handle.flush()
        out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert f"another build is running (pid {os.getpid()}, started 12:00:00)" in out.stderr
    assert out.stderr.count("\n") <= 3


@slow
def test_interrupted_build_leaves_nothing_trusted(fixture_copy):
    # make the experiment slow, interrupt the build while it computes, and check that the next
    # build redoes what was cut short
    edit(fixture_copy / "doc" / "mini.py", "def samples(n):\n",
         "def samples(n):\n    import time\n\n    time.sleep(3)\n")
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "build-pdf"], cwd=fixture_copy,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "building mini.samples" in line:
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    leftovers = list(fixture_copy.rglob(".*.tmp-*"))
    assert not leftovers, leftovers
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mini.samples" in rebuilt(out.stdout)
    again = invoke(fixture_copy, "build-pdf")
    assert "0 rebuilt" in again.stdout and "up to date" in again.stdout


@slow
def test_wrong_claim_stops_build_and_check_at_the_authors_line(fixture_copy):
    before = sha(fixture_copy / "build" / "main.pdf")
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "return sp.diff(x**2, x)", "return 3 * x")
    where = f"doc/mini.py:{line_of(module, 'def derivative')}"
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert f"claim mini.derivative does not hold ({where})" in out.stderr
    assert "max rel. error 3.33e-01" in out.stderr
    assert "Traceback" not in out.stderr
    assert sha(fixture_copy / "build" / "main.pdf") == before
    check = invoke(fixture_copy, "check")
    assert check.returncode != 0
    row = next(line for line in check.stdout.splitlines() if line.startswith("mini.derivative"))
    assert row.endswith("FAIL") and "3.33e-01" in row


@slow
def test_an_error_in_a_claims_references_is_a_python_error_at_the_authors_line(fixture_copy):
    before = sha(fixture_copy / "build" / "main.pdf")
    module = fixture_copy / "doc" / "mini.py"
    edit(module, 'against=lambda p: {"numpy": 2 * p["x"]}', 'against=lambda p: {"numpy": 2 * p["xx"]}')
    declared, raised = line_of(module, "def derivative"), line_of(module, 'p["xx"]')
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert (f"computing claim mini.derivative (doc/mini.py:{declared}) failed at doc/mini.py:{raised}: "
            "KeyError: 'xx'") in out.stderr, out.stderr
    assert "does not hold" not in out.stderr and "Traceback" not in out.stderr
    assert sha(fixture_copy / "build" / "main.pdf") == before
    check = invoke(fixture_copy, "check")
    assert check.returncode != 0
    row = next(line for line in check.stdout.splitlines() if line.startswith("mini.derivative"))
    assert row.endswith("FAIL") and f"at doc/mini.py:{raised}" in row, row


@slow
def test_unknown_name_stops_the_build_at_its_line_with_the_closest_names(fixture_copy):
    part = fixture_copy / "doc" / "part.tex"
    edit(part, r"\val{mini.slope_at_one}", r"\val{mini.slope_at_on}")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert (f"doc/part.tex:{line_of(part, 'slope_at_on')}: unknown value 'mini.slope_at_on'; "
            "closest: mini.slope_at_one") in out.stderr


@slow
def test_hand_typed_display_math_must_be_marked(fixture_copy):
    part = fixture_copy / "doc" / "part.tex"
    with open(part, "a", encoding="utf-8") as f:
        f.write("\\begin{equation} a = b \\end{equation}\n")
    line = line_of(part, "begin{equation}")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    warning = f"warning: doc/part.tex:{line}: display math \\begin{{equation}} is not machine-checked"
    assert warning in out.stdout
    strict = invoke(fixture_copy, "check", "--strict")
    assert strict.returncode != 0
    assert f"error: doc/part.tex:{line}: display math" in strict.stdout
    edit(part, "a = b \\end{equation}",
         "a = b \\unchecked \\label{eq:ab} \\end{equation} See \\eqref{eq:ab}.")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0 and "warning" not in out.stdout, out.stdout + out.stderr
    text = pdftext(fixture_copy / "build" / "main.pdf")
    assert "not machine-checked" in text
    assert "See (1)." in text                  # a numbered display keeps its number
    assert invoke(fixture_copy, "check", "--strict").returncode == 0


@slow
def test_python_error_names_the_declaration_and_the_authors_line(fixture_copy):
    module = fixture_copy / "doc" / "mini.py"
    edit(module, "    return 2.0\n", "    raise RuntimeError('boom')\n")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    assert (f"computing value mini.slope_at_one (doc/mini.py:{line_of(module, 'def slope_at_one')}) "
            f"failed at doc/mini.py:{line_of(module, 'boom')}: RuntimeError: boom") in out.stderr
    assert "Traceback" not in out.stderr


@slow
def test_a_removed_declaration_takes_its_outputs_with_it(fixture_copy):
    edit(fixture_copy / "doc" / "part.tex", "\\fig{mini.curve}", "")
    module = fixture_copy / "doc" / "mini.py"
    text = module.read_text()
    module.write_text(text[: text.index("@figure")] + text[text.index("@check"):])
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not (fixture_copy / "figures" / "mini-curve.pdf").exists()
    manifest = json.loads((fixture_copy / "build" / "cache" / "manifest.json").read_text())
    assert "mini.curve" not in manifest["artifacts"]


@slow
def test_check_runs_claims_and_checks_with_the_declared_parameters(fixture_copy):
    out = invoke(fixture_copy, "check")
    assert out.returncode == 0, out.stdout + out.stderr
    rows = {line.split()[0]: line for line in out.stdout.splitlines() if line.startswith("mini.")}
    assert set(rows) == {"mini.derivative", "mini.last_sample"}
    assert rows["mini.derivative"].endswith("ok") and "numpy" in rows["mini.derivative"]


def test_the_engine_names_no_document():
    engine = Path(__file__).resolve().parent.parent / "hw1" / "engine"
    out = subprocess.run(["grep", "-rn", r"hw1\.tex\|hw1\.document\b\|problem[0-9]", str(engine)],
                         capture_output=True, text=True, check=False)
    assert out.stdout == ""


def test_every_engine_module_is_described_in_the_package_docstring_and_the_readme():
    import hw1.engine

    root = Path(__file__).resolve().parent.parent
    modules = sorted(p.stem for p in (root / "hw1" / "engine").glob("*.py") if p.stem != "__init__")
    readme = (root / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("  engine/ "):readme.index("\nfigures/")]
    assert [m for m in modules if f"``{m}``" not in hw1.engine.__doc__] == []
    assert [m for m in modules if not re.search(rf"\b{m}\b", layout)] == []


def test_no_engine_module_writes_another_modules_state_and_the_format_code_has_no_threads():
    """State is passed as objects: no engine module assigns to a name of another module, or
    changes a module-level object of another (``latex.X = ...``, ``store.X[:] = ...``); none
    declares ``global``.  The format is made and tried without threads (processes only)."""
    import ast

    engine = Path(__file__).resolve().parent.parent / "hw1" / "engine"
    found = []
    for path in sorted(engine.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   and node.module == "hw1.engine" for alias in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(f"{path.name}:{node.lineno} global {', '.join(node.names)}")
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                while isinstance(target, (ast.Subscript, ast.Attribute)):
                    if isinstance(target.value, ast.Name) and target.value.id in modules:
                        found.append(f"{path.name}:{node.lineno} writes {target.value.id}.")
                    target = target.value
    assert found == []
    for name in ("latex.py", "texformat.py", "ahead.py"):
        assert "threading" not in (engine / name).read_text(encoding="utf-8"), name


def test_the_engine_imports_nothing_of_the_homework():
    """Every import written anywhere in hw1/engine/ (at the top or inside a function), read with
    ast: what it names of the hw1 package lies inside hw1/engine/."""
    import ast

    engine = Path(__file__).resolve().parent.parent / "hw1" / "engine"
    outside = []
    for path in sorted(engine.rglob("*.py")):
        package = "hw1.engine" + "".join(f".{p}" for p in path.parent.relative_to(engine).parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                # "from hw1 import x" imports hw1.x
                names = [f"{base}.{a.name}" for a in node.names] if base == "hw1" else [base]
            else:
                continue
            outside += [f"{path.name}:{node.lineno} {name}" for name in names
                        if name.split(".")[0] == "hw1" and not (name + ".").startswith("hw1.engine.")]
    assert outside == []


def test_importing_the_engine_loads_no_homework_module():
    """What actually runs: the engine's modules, all imported, load no module of hw1 outside it."""
    engine = Path(__file__).resolve().parent.parent / "hw1" / "engine"
    modules = sorted(f"hw1.engine.{p.stem}" for p in engine.glob("*.py") if p.stem != "__init__")
    script = ("import sys, importlib\n"
              f"for m in {modules!r}: importlib.import_module(m)\n"
              "print(sorted(m for m in sys.modules if m.startswith('hw1') and m != 'hw1'"
              " and not m.startswith('hw1.engine')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=engine.parent.parent, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@slow
def test_the_precompiled_preamble_changes_no_byte(fixture_copy, tmp_path):
    from conftest import copy_built

    plain = copy_built(fixture_copy, tmp_path / "plain")
    for project in (fixture_copy, plain):
        edit(project / "doc" / "part.tex", "The slope", "Then the slope")
    manifest = json.loads((fixture_copy / "build" / "cache" / "manifest.json").read_text())
    assert manifest["tex"]["format"]["trusted"] is True          # the clean build tried it
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0 and "1 pdflatex pass" in out.stdout, out.stdout + out.stderr
    out = invoke(plain, "build-pdf", env={"HW1_FORMAT": "0"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert sha(fixture_copy / "build" / "main.pdf") == sha(plain / "build" / "main.pdf")


@slow
def test_an_edit_of_the_main_files_body_keeps_the_format(any_fixture_copy):
    manifest = any_fixture_copy / "build" / "cache" / "manifest.json"

    def fmt_record() -> dict:
        return json.loads(manifest.read_text())["tex"]["format"]

    before = fmt_record()
    fmt = any_fixture_copy / "build" / "tex" / "fmt" / "main.fmt"
    made = fmt.stat().st_mtime_ns
    edit(any_fixture_copy / "doc" / "main.tex", "\\input{part}",
         "Some prose of the main file.\n\\input{part}")
    out = invoke(any_fixture_copy, "build-pdf")
    assert out.returncode == 0 and "1 pdflatex pass" in out.stdout, out.stdout + out.stderr
    assert "note:" not in out.stdout                       # no new format made, none tried
    assert fmt_record() == before and before["trusted"] is True and fmt.stat().st_mtime_ns == made
    assert "Some prose of the main file." in pdftext(any_fixture_copy / "build" / "main.pdf")


@slow
def test_a_preamble_edit_makes_a_new_format(fixture_copy):
    edit(fixture_copy / "doc" / "main.tex", "\\title{Fixture}", "\\title{Fixture}\\newcommand{\\x}{x}")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "note: the preamble is precompiled; later passes start from it" in out.stdout


RACE_SCRIPT = r"""
import json
from hw1 import paths
from hw1.engine import build, latex, noop

part = paths.DOC / "part.tex"
part.write_text(part.read_text().replace("The slope", "So the slope"))
compile_pdf = latex.compile_pdf

def compile_then_save_again(*args, **kwargs):   # the author saves while TeX runs
    made = compile_pdf(*args, **kwargs)
    part.write_text(part.read_text().replace("So the slope", "Then the slope"))
    return made

latex.compile_pdf = compile_then_save_again
first = build.build_pdf(echo=lambda line: None)
latex.compile_pdf = compile_pdf
quiet = noop.up_to_date(echo=lambda line: None)
second = build.build_pdf(echo=lambda line: None)
print(json.dumps({"raced": first.raced, "quick": quiet, "again": second.compiled}))
"""


@slow
def test_a_file_saved_while_tex_runs_is_compiled_by_the_next_build(fixture_copy):
    result = run_script(fixture_copy, RACE_SCRIPT)
    assert result == {"raced": ["doc/part.tex"], "quick": False, "again": True}
    assert "Then the slope" in subprocess.run(["pdftotext", str(fixture_copy / "build" / "main.pdf"), "-"],
                                              capture_output=True, text=True, check=True).stdout


QUICK_SCRIPT = r"""
import json, os
from hw1 import paths
from hw1.engine import noop

begun = noop.begin()
noop.record([], ["nothing to do"], begun)
untouched = noop.up_to_date(echo=lambda line: None)
begun = noop.begin()
os.utime(paths.DOC / "part.tex")          # saved while the build ran, after it began
noop.record([], ["nothing to do"], begun)
print(json.dumps([untouched, noop.up_to_date(echo=lambda line: None)]))
"""


@slow
def test_the_quick_no_op_records_the_sources_as_the_build_found_them(fixture_copy):
    assert run_script(fixture_copy, QUICK_SCRIPT) == [True, False]


@slow
def test_the_quick_no_op_still_sees_every_change(fixture_copy):
    assert invoke(fixture_copy, "build-pdf").returncode == 0          # settles this copy
    edit(fixture_copy / "doc" / "part.tex", "The slope", "So the slope")
    assert "latex: compiling doc/main.tex" in invoke(fixture_copy, "build-pdf").stdout
    (fixture_copy / "doc" / "extra.py").write_text(
        "from hw1.engine import value\n\n\n@value\ndef seven():\n    return 7\n", encoding="utf-8")
    out = invoke(fixture_copy, "build-pdf")
    assert "building extra.seven (never built)" in out.stdout, out.stdout
    with open(fixture_copy / "hw1" / "engine" / "run.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit to the engine\n")
    out = invoke(fixture_copy, "build-pdf")
    assert "artifacts: 5 rebuilt" in out.stdout, out.stdout


def run_script(project, script: str) -> dict:
    """Run ``script`` (Python, printing one JSON line) in ``project``; what it printed."""
    out = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def assert_same_pdf(result: dict) -> None:
    """The pass started ahead was used, and made the PDF a plain pass makes, byte for byte."""
    assert result["ahead"][:2] == [0, True] and result["plain"][0] == 0
    assert result["ahead"][2] == result["plain"][1]


AHEAD_PASS_SCRIPT = r"""
import json, sys, time
from hw1 import paths
from hw1.engine import latex, texformat
from hw1.engine.ahead import PassAhead

env = latex.environment("1700000000")
fmt = texformat.fmt_path()
out = {}
spare = PassAhead(env, fmt)
time.sleep(0.5)
made = latex._pass(env, fmt, paths.TEX_OUT, ahead=spare)
out["ahead"] = [made.returncode, spare.used, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]
plain = latex._pass(env, fmt, paths.TEX_OUT)
out["plain"] = [plain.returncode, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]
other = PassAhead(env, fmt)                    # started for one pass, asked for another
latex._pass({**env, "SOURCE_DATE_EPOCH": "1700000001"}, fmt, paths.TEX_OUT, ahead=other)
out["other"] = [other.used, other.proc.poll() is not None, other.dir.exists()]
print(json.dumps(out))
"""


@slow
def test_a_pass_started_ahead_makes_the_same_pdf_and_is_used_only_for_its_own_pass(fixture_copy):
    result = run_script(fixture_copy, AHEAD_PASS_SCRIPT)
    assert_same_pdf(result)
    assert result["other"] == [False, True, False]       # stopped, its folder gone
    assert not list((fixture_copy / "build" / "tex").glob("spare-*"))


WAIT_SCRIPT = r"""
import json, time
from hw1 import paths
from hw1.engine import latex, texformat
from hw1.engine.ahead import PassAhead

env = latex.environment("1700000000")
fmt = texformat.fmt_path()
(figure,) = paths.FIGURES.glob("*curve*.pdf")
drawn = figure.read_bytes()
figure.unlink()                                  # the figure is being drawn
spare = PassAhead(env, fmt)
started = spare.start(env, fmt, paths.TEX_OUT, figures={"mini.curve": paths.rel(figure)})
time.sleep(1.0)
waiting = spare.proc.poll() is None              # at \fig{mini.curve}, for the figure
figure.write_bytes(drawn)
spare.release("mini.curve")
made = latex._pass(env, fmt, paths.TEX_OUT, ahead=spare)
ahead = [made.returncode, spare.used, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]
plain = latex._pass(env, fmt, paths.TEX_OUT)
print(json.dumps({"started": started, "waiting": waiting, "ahead": ahead,
                  "plain": [plain.returncode, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]}))
"""


@slow
def test_a_pass_told_to_go_before_a_figure_is_drawn_waits_for_it(fixture_copy):
    result = run_script(fixture_copy, WAIT_SCRIPT)
    assert result["started"] and result["waiting"]
    assert_same_pdf(result)
    assert not list((fixture_copy / "build" / "tex").glob("spare-*"))


AHEAD_SCRIPT = r"""
import json, time
from hw1 import paths
from hw1.engine import latex, texformat
from hw1.engine.ahead import PassAhead

env = latex.environment("1700000000")
fmt = texformat.fmt_path()
part, main = paths.DOC / "part.tex", paths.DOC / "main.tex"
out = {}
spare = PassAhead(env, fmt, pause="doc/part.tex")     # typesets ahead, up to part.tex
time.sleep(1.0)
out["paused"] = [spare.pause, sorted(spare.read), spare.proc.poll() is None]
out["main"] = PassAhead._ahead("doc/main.tex")[0]          # read from the start: no pause there
# a TeX file it never read may be one it found missing: not that pass, then
out["reads"] = [spare.still_reads(["doc/part.tex", "doc/mini.py"]), spare.still_reads(["doc/new.tex"])]
part.write_text(part.read_text().replace("The slope", "Then the slope"))
made = latex._pass(env, fmt, paths.TEX_OUT, ahead=spare)
out["ahead"] = [made.returncode, spare.used, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]
plain = latex._pass(env, fmt, paths.TEX_OUT)
out["plain"] = [plain.returncode, (paths.TEX_OUT / "main.pdf").read_bytes().hex()]
stale = PassAhead(env, fmt, pause="doc/part.tex")     # then a file it read before changes
time.sleep(1.0)
main.write_text(main.read_text().replace("{Fixture}", "{Fixture again}"))
out["stale"] = [stale.start(env, fmt, paths.TEX_OUT), stale.proc.poll() is not None, stale.dir.exists()]
print(json.dumps(out))
"""


@slow
def test_a_pass_typeset_ahead_up_to_the_file_edited_last_makes_the_same_pdf(fixture_copy):
    result = run_script(fixture_copy, AHEAD_SCRIPT)
    # it read main.tex and the index of names before part.tex, not the figure in part.tex; it waits
    pause, read, waiting = result["paused"]
    assert pause == "doc/part.tex" and waiting
    assert {"doc/main.tex", "build/generated/verified-names.tex"} <= set(read)
    assert not any(rel == "doc/part.tex" or rel.startswith("figures/") for rel in read), read
    assert result["reads"] == [True, False] and result["main"] is None
    assert_same_pdf(result)
    assert result["stale"] == [False, True, False]             # not used: stopped, its folder gone


@slow
@pytest.mark.parametrize("args", [(), ("--explain",)], ids=["no-op", "full build"])
def test_a_reader_that_goes_away_does_not_stop_the_build(built_fixture, tmp_path, args):
    # `invoke build-pdf | head -0`: the pipe's reader is gone before the first line
    from conftest import copy_built

    project = copy_built(built_fixture, tmp_path / "proj")
    assert invoke(project, "build-pdf").returncode == 0    # in the copy: now a no-op says it at once
    proc = subprocess.Popen([sys.executable, "-m", "invoke", "build-pdf", *args], cwd=project,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


@slow
def test_an_environment_left_open_is_named_when_tex_stops_further_on(fixture_copy):
    # an itemize left open at the end of part.tex: TeX stops at a section after a box, in main.tex
    part, main = fixture_copy / "doc" / "part.tex", fixture_copy / "doc" / "main.tex"
    with open(part, "a", encoding="utf-8") as f:
        f.write("\\begin{itemize}\n")
    edit(main, "\\input{part}\n", "\\input{part}\n\\fbox{A box}\n\\section{After}\n")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert message[0] == f"build-pdf failed: doc/main.tex:{line_of(main, 'section{After}')}: " \
                         "LaTeX Error: Something's wrong--perhaps a missing \\item.", out.stderr
    assert f"  likely cause: doc/part.tex:{line_of(part, 'begin{itemize}')}: " \
           "\\begin{itemize} is never closed in this file" in message, out.stderr


@slow
def test_a_module_named_verified_with_a_value_named_names_is_built_once(fixture_copy):
    (fixture_copy / "doc" / "verified.py").write_text(
        "from hw1.engine import value\n\n\n@value\ndef names():\n    return 3\n", encoding="utf-8")
    edit(fixture_copy / "doc" / "part.tex", "The slope", "Three is \\val{verified.names}. The slope")
    out = invoke(fixture_copy, "build-pdf")
    assert out.returncode == 0, out.stdout + out.stderr
    again = invoke(fixture_copy, "build-pdf", "--explain")
    assert again.returncode == 0 and "0 rebuilt" in again.stdout, again.stdout
    assert "pdf: build/main.pdf is up to date" in again.stdout
