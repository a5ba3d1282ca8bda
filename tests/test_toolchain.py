"""`invoke setup`: quiet when all is present, apt-get when it can, exact advice when it cannot."""

from __future__ import annotations

import subprocess

import pytest

from hw1.engine import toolchain


def test_everything_present_here_is_reported_in_one_line():
    lines = []
    toolchain.ensure(echo=lines.append)
    assert lines == [f"setup: TeX toolchain complete ({', '.join(toolchain.PROGRAMS)}, and the "
                     f"{len(toolchain.styles())} classes and packages that verified.sty and the "
                     "document's .tex files load)"]


def test_it_checks_what_the_document_loads(tmp_path, monkeypatch):
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "main.tex").write_text("\\documentclass[11pt]{report}\n\\usepackage[svgnames]{xcolor}\n"
                                  "\\usepackage{natbib, fancyhdr}%\\usepackage{commented}\n"
                                  "\\usepackage{verified}\n\\input{part}\n", encoding="utf-8")
    (doc / "part.tex").write_text("\\RequirePackage{nosuchpackage}\n", encoding="utf-8")
    monkeypatch.setattr(toolchain, "document_folders", lambda: [doc])
    assert toolchain.document_files() == ["report.cls", "xcolor.sty", "natbib.sty", "fancyhdr.sty",
                                          "nosuchpackage.sty"]
    assert toolchain.missing() == ["nosuchpackage.sty"]
    assert toolchain.packages_for(["nosuchpackage.sty"]) == ["texlive-fonts-recommended",
                                                             "texlive-latex-extra"]


def test_missing_files_map_to_debian_packages():
    assert toolchain.packages_for(["latexmk", "listings.sty", "pdftoppm"]) == \
        ["latexmk", "poppler-utils", "texlive-fonts-recommended", "texlive-latex-recommended"]


def test_installs_with_apt_get_when_it_can(monkeypatch):
    state = {"missing": ["latexmk", "lmodern.sty"]}
    monkeypatch.setattr(toolchain, "missing", lambda: state["missing"])
    monkeypatch.setattr(toolchain, "install_command",
                        lambda packages: [["apt-get", "update"], ["apt-get", "install", "-y", *packages]])
    ran = []

    def run(cmd, **kwargs):
        ran.append(cmd)
        if cmd[1] == "install":
            state["missing"] = []
        return subprocess.CompletedProcess(cmd, 0, "", "")

    lines = []
    toolchain.ensure(echo=lines.append, run=run)
    assert ran == [["apt-get", "update"],
                   ["apt-get", "install", "-y", "latexmk", "lmodern", "texlive-fonts-recommended"]]
    assert lines[-1] == "setup: installed latexmk, lmodern, texlive-fonts-recommended"


def test_says_exactly_what_to_run_when_it_cannot_install(monkeypatch):
    monkeypatch.setattr(toolchain, "missing", lambda: ["latexmk"])
    monkeypatch.setattr(toolchain, "install_command", lambda packages: None)
    with pytest.raises(toolchain.ToolchainError,
                       match=r"sudo apt-get install latexmk texlive-fonts-recommended"):
        toolchain.ensure(echo=lambda line: None)


def test_a_failed_install_is_reported_with_its_output(monkeypatch):
    monkeypatch.setattr(toolchain, "missing", lambda: ["latexmk"])
    monkeypatch.setattr(toolchain, "install_command", lambda packages: [["apt-get", "install", "x"]])

    def run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 100, "", "E: Unable to locate package x")

    with pytest.raises(toolchain.ToolchainError, match=r"\(exit 100\):\nE: Unable to locate package x"):
        toolchain.ensure(echo=lambda line: None, run=run)

