"""The real document (doc/), built in a copy: what must hold whatever the author writes."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import invoke

pytestmark = pytest.mark.slow


def test_the_document_builds_and_its_checks_hold(built_project):
    out = invoke(built_project, "check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_claim_appears_verbatim_in_the_generated_latex(built_project):
    from hw1 import claims

    generated = "\n".join(p.read_text(encoding="utf-8")
                          for p in (built_project / "build" / "generated").glob("*.tex"))
    missing = [c.name for c in claims.all_claims() if c.latex not in generated]
    assert not missing


def test_no_reference_or_citation_is_left_undefined(built_project):
    from hw1.engine.latex import summarize

    log = next((built_project / "build" / "tex").glob("*.log")).read_text(encoding="latin-1")
    summary = summarize(log)
    assert summary.undefined_refs == 0 and summary.undefined_cites == 0 and not summary.shell_escape


def test_no_generated_latex_is_escaped_twice(built_project):
    """Math meant for TeX must reach it as math: an escaped dollar or backslash in a fragment
    prints as '$' or '\\' in the PDF."""
    for path in (built_project / "build" / "generated").glob("*.tex"):
        text = path.read_text(encoding="utf-8")
        assert "\\$" not in text and "\\textbackslash" not in text, path.name
    pdf = next((built_project / "build").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "$" not in text and "\\tanh" not in text


def test_pdf_metadata_is_the_documents_title_and_author(built_project):
    from hw1 import paths

    main = (built_project / paths.CONFIG["main"]).read_text(encoding="utf-8")
    title = re.search(r"\\title\{([^}]*)\}", main).group(1)
    author = re.search(r"\\author\{([^}]*)\}", main).group(1)
    pdf = next((built_project / "build").glob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert f"Title:           {title}" in info and f"Author:          {author}" in info
