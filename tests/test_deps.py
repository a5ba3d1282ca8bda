"""Tests for hw1.engine.deps: the dependency closure of a producer module, the versions of
the libraries it imports, and the cache of what each source file imports (keyed by content)."""

from __future__ import annotations

import ast
import json
from importlib import metadata

import pytest

from hw1 import paths
from hw1.engine import deps


def _clear_caches() -> None:
    for fn in (deps._scan, deps._modules, deps.module_path, deps._imports_cache, deps._local_packages):
        fn.cache_clear()


@pytest.fixture
def fake_project(tmp_path, monkeypatch):
    """A project root holding a small hw1 package: a imports b lazily, and numpy."""
    pkg = tmp_path / "hw1"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import numpy as np\n\n\ndef f():\n    from hw1 import b\n    return b\n")
    (pkg / "b.py").write_text("X = 1\n")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "DOC", tmp_path / "doc")
    monkeypatch.setattr(deps, "IMPORTS_CACHE", tmp_path / "build" / "cache" / "imports.json")
    _clear_caches()
    yield tmp_path
    _clear_caches()


def test_closure_follows_lazy_imports_and_hashes_content(fake_project):
    got = deps.closure("hw1.a")
    assert sorted(got) == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    assert got["hw1/b.py"] == deps.sha256_bytes(b"X = 1\n")
    assert deps.libraries("hw1.a") == {"numpy": metadata.version("numpy")}
    assert deps.libraries("hw1.b") == {}


@pytest.mark.parametrize("dist", ["numpy", "torch", "PyLaTeX", "sympy"])
def test_versions_from_dist_info_names_match_importlib_metadata(dist):
    assert deps._version(dist) == metadata.version(dist)


def test_unknown_library_is_reported_not_installed():
    assert deps._version("no-such-distribution-hw1") == "not installed"


def test_imports_are_read_from_the_cache_until_the_source_changes(fake_project, monkeypatch):
    deps.closure("hw1.a")
    deps.save_imports_cache()
    saved = json.loads(deps.IMPORTS_CACHE.read_text())
    assert saved["modules"] == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    assert len(saved["entries"]) == 3

    # a new process: the same sources are not parsed again
    _clear_caches()
    parsed = []
    real_parse = ast.parse

    def parse(source, **kwargs):
        parsed.append(kwargs.get("filename"))
        return real_parse(source, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    assert sorted(deps.closure("hw1.a")) == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    assert parsed == []

    # an edit to b (a new import) is parsed and seen, though the cache knew the old b
    (fake_project / "hw1" / "b.py").write_text("import scipy\n\nX = 2\n")
    _clear_caches()
    assert "scipy" in deps.libraries("hw1.a")
    assert [name.rsplit("/", 1)[-1] for name in parsed] == ["b.py"]


def test_new_module_file_invalidates_the_cache(fake_project):
    deps.closure("hw1.a")
    deps.save_imports_cache()
    # whether "from hw1 import x" names a module depends on the files there: a new one drops
    # what the cache knew
    (fake_project / "hw1" / "c.py").write_text("")
    _clear_caches()
    assert deps._imports_cache().entries == {}


@pytest.mark.parametrize("content", ["{not json", "[]", '{"modules": 3}', ""])
def test_damaged_imports_cache_is_ignored(fake_project, content):
    deps.IMPORTS_CACHE.parent.mkdir(parents=True)
    deps.IMPORTS_CACHE.write_text(content)
    assert sorted(deps.closure("hw1.a")) == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    deps.save_imports_cache()
    assert len(json.loads(deps.IMPORTS_CACHE.read_text())["entries"]) == 3


def test_damaged_cache_entry_is_parsed_again(fake_project):
    deps.closure("hw1.a")
    deps.save_imports_cache()
    saved = json.loads(deps.IMPORTS_CACHE.read_text())
    saved["entries"] = {key: "garbage" for key in saved["entries"]}
    deps.IMPORTS_CACHE.write_text(json.dumps(saved))
    _clear_caches()
    assert deps.libraries("hw1.a") == {"numpy": metadata.version("numpy")}


def test_the_documents_modules_belong_to_the_project_too(fake_project):
    (fake_project / "doc").mkdir()
    (fake_project / "doc" / "p.py").write_text("from hw1 import a\n")
    _clear_caches()
    assert sorted(deps.closure("doc.p")) == ["doc/p.py", "hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    assert deps.libraries("doc.p") == {"numpy": metadata.version("numpy")}


def test_an_entry_edited_to_wrong_but_well_formed_dependencies_is_parsed_again(fake_project):
    deps.closure("hw1.a")
    deps.save_imports_cache()
    saved = json.loads(deps.IMPORTS_CACHE.read_text())
    key = next(k for k in saved["entries"] if k.startswith("hw1.a "))
    saved["entries"][key][0] = json.dumps([[], []])       # "a imports nothing": valid JSON, wrong
    deps.IMPORTS_CACHE.write_text(json.dumps(saved))
    _clear_caches()
    assert sorted(deps.closure("hw1.a")) == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    assert deps.libraries("hw1.a") == {"numpy": metadata.version("numpy")}


def test_imports_are_found_in_every_kind_of_nested_statement():
    tree = ast.parse("import a\n"
                     "def f():\n"
                     "    try:\n        import b\n    except ImportError:\n        import c\n"
                     "    else:\n        import d\n    finally:\n        import e\n"
                     "    match x:\n        case 1:\n            import g\n"
                     "    class K:\n        import h\n"
                     "    while y:\n        import i\n    else:\n        import j\n"
                     "    with q:\n        from k import m\n"
                     "    return [n for n in range(3)]\n")
    found = [a.name for n in deps._statements(tree) if isinstance(n, ast.Import) for a in n.names]
    found += [n.module for n in deps._statements(tree) if isinstance(n, ast.ImportFrom)]
    assert sorted(found) == ["a", "b", "c", "d", "e", "g", "h", "i", "j", "k"]


def test_an_artifact_key_holds_its_module_closure_and_only_the_engine_code(fake_project):
    """Editing a library module rebuilds only the declarations whose modules import it: the
    key's sources are the module's import closure, and the engine code it holds is the
    engine's own (no module of the homework's library rides along with the claim machinery)."""
    from hw1.engine import store

    (fake_project / "hw1" / "c.py").write_text("Y = 2\n")          # imported by no document module
    (fake_project / "doc").mkdir()
    (fake_project / "doc" / "p.py").write_text("from hw1 import a\n")
    store._shared.cache_clear()
    try:
        for kind in store.ENGINE:
            tables = store._shared("doc.p", kind)
            assert sorted(tables["sources"][1]) == ["hw1/__init__.py", "hw1/a.py", "hw1/b.py"]
    finally:
        store._shared.cache_clear()


def test_the_engine_code_in_every_key_lies_in_the_engine():
    from hw1.engine import store

    for kind, modules in store.ENGINE.items():
        engine: dict[str, str] = {}
        for name in modules:
            engine.update(deps.closure(name))
        assert engine, kind
        assert [rel for rel in engine if not rel.startswith("hw1/engine/") and rel != "hw1/__init__.py"] == []
