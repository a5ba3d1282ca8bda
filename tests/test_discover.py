"""Finding declarations by reading the document's modules (hw1.engine.discover): names, kinds,
inputs, lines, the code each result depends on, and clear errors at the author's line."""

from __future__ import annotations

import textwrap

import pytest

from hw1 import paths
from hw1.engine import discover
from hw1.engine.discover import DiscoveryError

MODULE = '''
from hw1.engine import claim, experiment, figure, value
import hw1.engine as e

SCALE = 2.0


def helper(x):
    return SCALE * x


def points(run):
    return [run]


@experiment(n=3)
def run(n):
    return {"xs": list(range(n))}


@value(digits=2)
def mean(run):
    return sum(run["xs"]) / len(run["xs"])


@e.figure
def plot(run):
    return helper(1)


@claim(lhs="f", points=points, against=lambda p: p)
def formula():
    return 1


@claim(lhs="f", points=points, against=lambda p: p, wrong=True)
def mistake():
    return formula() + 1


def undecorated():
    return 0
'''


@pytest.fixture
def doc(tmp_path, monkeypatch):
    """A project whose doc/ folder holds the modules a test writes."""
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "DOC", tmp_path / "doc")
    monkeypatch.setattr(discover, "CACHE_FILE", tmp_path / "build" / "cache" / "declarations.json")
    discover._scans.cache_clear()
    (tmp_path / "doc").mkdir()
    yield tmp_path / "doc"
    discover._scans.cache_clear()


def found(doc, source: str, name: str = "m.py") -> dict:
    (doc / name).write_text(textwrap.dedent(source), encoding="utf-8")
    discover._scans.cache_clear()
    return {d.name: d for d in discover.declarations(doc)}


def test_declarations_their_kinds_inputs_and_lines(doc):
    got = found(doc, MODULE)
    assert [(d.name, d.kind, d.inputs, d.wrong) for d in got.values()] == [
        ("m.run", "experiment", (), False), ("m.mean", "value", ("m.run",), False),
        ("m.plot", "figure", ("m.run",), False), ("m.formula", "claim", ("m.run",), False),
        ("m.mistake", "claim", ("m.run",), True)]
    lines = textwrap.dedent(MODULE).splitlines()
    assert got["m.mean"].where == f"doc/m.py:{lines.index('def mean(run):') + 1}"
    assert got["m.mean"].module == "doc.m" and got["m.mean"].stem == "m-mean"


def test_editing_one_declaration_changes_only_its_code_and_its_callers(doc):
    before = found(doc, MODULE)
    after = found(doc, MODULE.replace("return 1\n", "return 2\n"))
    changed = {n for n in before if before[n].code != after[n].code}
    assert changed == {"m.formula", "m.mistake"}          # mistake calls formula()


def test_editing_shared_code_changes_every_declaration(doc):
    before = found(doc, MODULE)
    after = found(doc, MODULE.replace("SCALE = 2.0", "SCALE = 3.0"))
    assert all(before[n].code != after[n].code for n in before)


def test_comments_and_blank_lines_change_nothing(doc):
    before = found(doc, MODULE)
    after = found(doc, MODULE.replace("def helper(x):", "# a comment\n\n\ndef helper(x):"))
    assert all(before[n].code == after[n].code for n in before)


def test_modules_in_natural_order(doc):
    for k in (10, 2, 6):
        source = f"from hw1.engine import value\n\n\n@value\ndef v{k}():\n    return {k}\n"
        (doc / f"part{k}.py").write_text(source)
    discover._scans.cache_clear()
    assert [d.name for d in discover.declarations(doc)] == ["part2.v2", "part6.v6", "part10.v10"]


def test_the_scan_is_cached_by_content(doc, monkeypatch):
    found(doc, MODULE)
    discover.save_cache()
    discover._scans.cache_clear()

    def no_parse(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(discover, "scan_source", no_parse)
    assert len(discover.declarations(doc)) == 5


@pytest.mark.parametrize("content", ["{", "[]", '{"format": 1, "entries": {"doc/m.py x": 3}}'])
def test_a_damaged_cache_means_scanning_again(doc, content):
    discover.CACHE_FILE.parent.mkdir(parents=True)
    discover.CACHE_FILE.write_text(content)
    assert len(found(doc, MODULE)) == 5


@pytest.mark.parametrize("source, message", [
    ("from hw1.engine import value\n\n@value\ndef v(run):\n    return 1\n",
     "doc/m.py:4: parameter 'run' of value m.v names no experiment of doc/m.py (its experiments: none)"),
    ("from hw1.engine import value, experiment\n\n@experiment(n=1)\ndef e(n, k):\n    return {}\n",
     "doc/m.py:4: parameter 'k' of experiment m.e names no experiment of doc/m.py (its experiments: e); "
     "@experiment sets parameters by keyword, e.g. @experiment(k=...)"),
    ("from hw1.engine import value\n\n@value\ndef a():\n    return 1\n\n@value\ndef b(a):\n    return a\n",
     "doc/m.py:8: parameter 'a' of m.b names a value; only experiments can be read by parameter"),
    ("from hw1.engine import value, figure\n\n@value\n@figure\ndef a():\n    return 1\n",
     "doc/m.py:5: a has two declarations (@value and @figure); give each its own function"),
    ("def broken(:\n", "doc/m.py:1: "),
    ("from hw1.engine import experiment\n\n@experiment\ndef a(b):\n    return {}\n\n"
     "@experiment\ndef b(a):\n    return {}\n", "experiments read each other in a loop"),
])
def test_errors_name_the_file_and_line(doc, source, message):
    with pytest.raises(DiscoveryError) as err:
        found(doc, source)
    assert message in str(err.value)


def test_a_syntax_error_shows_the_line_and_where_python_stopped(doc):
    with pytest.raises(DiscoveryError) as err:
        found(doc, "import math\n\ndef f(x)\n    return math.sin(x)\n")
    assert str(err.value) == ("doc/m.py:3: expected ':'\n"
                              "  3 | def f(x)\n"
                              "    |         ^")


def test_decorators_from_elsewhere_are_not_declarations(doc):
    source = "from functools import cache as value\n\n@value\ndef a():\n    return 1\n"
    assert found(doc, source) == {}


def test_a_cached_scan_edited_by_hand_is_scanned_again(doc):
    import json

    found(doc, MODULE)
    discover.save_cache()
    saved = json.loads(discover.CACHE_FILE.read_text())
    for entry in saved["entries"].values():
        scan = json.loads(entry[0])
        scan["declarations"] = scan["declarations"][:1]            # valid JSON, wrong
        entry[0] = json.dumps(scan, sort_keys=True)
    discover.CACHE_FILE.write_text(json.dumps(saved))
    discover._scans.cache_clear()
    assert len(discover.declarations(doc)) == 5


@pytest.mark.parametrize("source, message", [
    ("from hw1.engine import value\n\n@value\ndef a():\n    return 1\n\n@value\ndef a():\n    return 2\n",
     "doc/m.py:8: a is defined twice, at lines 4 and 8 (the @value is at line 4); the second would replace "
     "the first when the module runs: give each its own name"),
    ("from hw1.engine import value\n\n@value\ndef a():\n    return 1\n\ndef a():\n    return 2\n",
     "doc/m.py:7: a is defined twice, at lines 4 and 7 (the @value is at line 4)"),
    ("from hw1.engine import figure\n\nplot = None\n\n@figure\ndef plot():\n    return 1\n",
     "doc/m.py:6: plot is defined twice, at lines 3 and 6 (the @figure is at line 6)"),
])
def test_a_declared_name_defined_twice_in_one_module_is_an_error_naming_both_lines(doc, source, message):
    with pytest.raises(DiscoveryError) as err:
        found(doc, source)
    assert message in str(err.value)


def test_a_module_named_verified_may_declare_names_the_build_writes_beside_its_fragments(doc):
    from hw1.engine import fragments

    decls = found(doc, "from hw1.engine import value\n\n@value\ndef names():\n    return 1\n\n"
                       "@value\ndef typed():\n    return 2\n", name="verified.py")
    written = {fragments.fragment_file(d) for d in decls.values()}     # in build/generated/
    beside = {fragments.INDEX, "verified-typed.tex"}                   # the index, typed math's marks
    assert len(written) == 2 and not written & beside, written
