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

# the hand-written sources a build needs, relative to ROOT (tests and benchmarks copy these)
SOURCES = ("hw1", "doc", "tasks.py", "pyproject.toml", "figures/README.md", "figures/.gitignore")


def copy_sources(dest: Path) -> Path:
    """Copy the hand-written sources into ``dest``: a project that builds on its own."""
    import shutil

    for rel in SOURCES:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest
