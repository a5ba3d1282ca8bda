"""Every folder of the project, named once.  Nothing else in hw1 builds paths by hand."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hw1"
DOC = ROOT / "doc"                 # hand-written LaTeX (tracked)
FIGURES = ROOT / "figures"         # generated figures (git-ignored)
BUILD = ROOT / "build"             # everything else the build makes (git-ignored)
GENERATED = BUILD / "generated"    # LaTeX fragments and listings rendered by hw1
CACHE = BUILD / "cache"            # content-addressed results: manifest and data files
TEX_OUT = BUILD / "tex"            # latexmk's working folder (aux, log, fls)
PDF = BUILD / "hw1.pdf"            # the product; replaced only by a successful build
PREVIEWS = ROOT / "previews"       # PNG previews of the first pages, shown by README
MAIN_TEX = DOC / "hw1.tex"
