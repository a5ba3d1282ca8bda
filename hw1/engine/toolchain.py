"""The TeX toolchain the document needs: probe it quickly, install it where we can.

``invoke setup`` calls ``ensure()``: when everything is present it returns in well under a
second; otherwise, on Debian/Ubuntu as root (or with password-less sudo) it runs apt-get, and
anywhere else it prints the exact command to run.

What it checks: the programs the build runs, the packages ``verified.sty`` loads, and the
classes and packages the configured documents load, read from the ``\\documentclass``,
``\\usepackage`` and ``\\RequirePackage`` lines of the ``.tex`` files in its folder (a package
that a package loads in turn, or a font, is not seen there: TeX names it when it runs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

# the programs the build and its tests use, and where Debian has them
PROGRAMS = {"latexmk": "latexmk", "pdflatex": "texlive-latex-base", "kpsewhich": "texlive-latex-base",
            "bibtex": "texlive-latex-base", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils"}
ENGINE_STYLES = ("amsmath.sty", "amssymb.sty", "graphicx.sty", "xcolor.sty")   # verified.sty's
# where Debian has the LaTeX files this project's own documents use; others are in texlive-latex-extra
DEBIAN = {
    "amsmath.sty": "texlive-latex-base", "amssymb.sty": "texlive-latex-base",
    "amsthm.sty": "texlive-latex-base", "lmodern.sty": "lmodern",
    "geometry.sty": "texlive-latex-recommended", "graphicx.sty": "texlive-latex-base",
    "hyperref.sty": "texlive-latex-base", "xcolor.sty": "texlive-latex-recommended",
    "booktabs.sty": "texlive-latex-recommended", "listings.sty": "texlive-latex-recommended",
    "microtype.sty": "texlive-latex-recommended", "caption.sty": "texlive-latex-recommended",
    "mathtools.sty": "texlive-latex-recommended", "bm.sty": "texlive-latex-base",
    "fontenc.sty": "texlive-latex-base", "article.cls": "texlive-latex-base",
    "natbib.sty": "texlive-latex-recommended", "fancyhdr.sty": "texlive-latex-recommended",
    "t1lmr.fd": "lmodern", "ec-lmr10.tfm": "lmodern",
}
EXTRA = "texlive-latex-extra"
LOADS = re.compile(r"\\(documentclass|usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")


def document_folders() -> list:
    """The folders of every configured document (``[tool.hw1]``, or each of several)."""
    from hw1.engine import paths

    return list(dict.fromkeys(paths.ROOT / d["doc"] for d in paths.DOCUMENTS.values()))


def document_files() -> list[str]:
    """The classes and packages the documents' .tex files load (``article.cls``, ``natbib.sty``...),
    in the order found; the engine's own ``verified`` aside."""
    found: dict[str, None] = {}
    for tex in [t for folder in document_folders() for t in sorted(folder.rglob("*.tex"))]:
        try:
            text = tex.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        text = re.sub(r"(?<!\\)%.*", "", text)              # comments
        for kind, names in LOADS.findall(text):
            ext = ".cls" if kind == "documentclass" else ".sty"
            for name in names.split(","):
                name = name.strip()
                if name and name != "verified":
                    found[name + ext] = None
    if "lmodern.sty" in found:     # its fonts, which the packages' names do not show
        found.update({"t1lmr.fd": None, "ec-lmr10.tfm": None})
    return list(found)


def styles() -> list[str]:
    """Every LaTeX file ``missing`` checks: verified.sty's packages, then the document's."""
    return list(dict.fromkeys([*ENGINE_STYLES, *document_files()]))


def missing() -> list[str]:
    """What is absent: program names and LaTeX files."""
    absent = [p for p in PROGRAMS if shutil.which(p) is None]
    wanted = styles()
    if "kpsewhich" in absent:
        return absent + wanted
    out = subprocess.run(["kpsewhich", *wanted], capture_output=True, text=True, check=False)
    found = {os.path.basename(line) for line in out.stdout.splitlines()}
    return absent + [s for s in wanted if s not in found]


def packages_for(absent: list[str]) -> list[str]:
    return sorted({PROGRAMS.get(a) or DEBIAN.get(a, EXTRA) for a in absent} | {"texlive-fonts-recommended"})


def install_command(packages: list[str]) -> list[list[str]] | None:
    """The apt-get commands to run here, or None if this machine cannot install them itself."""
    if shutil.which("apt-get") is None:
        return None
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None or subprocess.run(["sudo", "-n", "true"], capture_output=True,
                                                          check=False).returncode != 0:
            return None
        prefix = ["sudo", "-n"]
    env = ["env", "DEBIAN_FRONTEND=noninteractive"]
    return [prefix + env + ["apt-get", "update", "-q"],
            prefix + env + ["apt-get", "install", "-y", "-q", *packages]]


class ToolchainError(Exception):
    pass


def ensure(echo=print, run=subprocess.run) -> None:
    """Install what is missing, or say exactly how to; quiet and quick when all is present."""
    absent = missing()
    if not absent:
        echo(f"setup: TeX toolchain complete ({', '.join(PROGRAMS)}, and the {len(styles())} classes and "
             "packages that verified.sty and the document's .tex files load)")
        return
    packages = packages_for(absent)
    echo(f"setup: missing {', '.join(absent)}")
    commands = install_command(packages)
    if commands is None:
        raise ToolchainError(
            "cannot install them from here (needs apt-get as root or with password-less sudo).\n"
            f"  On Debian/Ubuntu run: sudo apt-get install {' '.join(packages)}\n"
            "  Elsewhere install TeX Live (with latexmk and the LaTeX packages "
            f"{', '.join(s.removesuffix('.sty') for s in styles() if s.endswith('.sty'))}) "
            "and poppler (pdftotext, pdftoppm), then run `invoke setup` again.")
    for cmd in commands:
        echo("setup: " + " ".join(cmd))
        out = run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-6:])
            raise ToolchainError(f"`{' '.join(cmd)}` failed (exit {out.returncode}):\n{tail}")
    still = missing()
    if still:
        raise ToolchainError(f"still missing after installing: {', '.join(still)}")
    echo(f"setup: installed {', '.join(packages)}")
