"""The TeX toolchain the document needs: probe it quickly, install it where we can.

``invoke setup`` calls ``ensure()``: when everything is present it returns in well under a
second; otherwise, on Debian/Ubuntu as root (or with password-less sudo) it runs apt-get, and
anywhere else it prints the exact command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess

# the programs and LaTeX packages the build and its tests use, and where Debian has them
PROGRAMS = {"latexmk": "latexmk", "pdflatex": "texlive-latex-base", "kpsewhich": "texlive-latex-base",
            "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils"}
STYLES = {
    "amsmath.sty": "texlive-latex-base", "amssymb.sty": "texlive-latex-base",
    "amsthm.sty": "texlive-latex-base", "lmodern.sty": "lmodern",
    "geometry.sty": "texlive-latex-recommended", "graphicx.sty": "texlive-latex-base",
    "hyperref.sty": "texlive-latex-base", "xcolor.sty": "texlive-latex-recommended",
    "booktabs.sty": "texlive-latex-recommended", "listings.sty": "texlive-latex-recommended",
    "microtype.sty": "texlive-latex-recommended", "caption.sty": "texlive-latex-recommended",
    "mathtools.sty": "texlive-latex-recommended", "bm.sty": "texlive-latex-base",
    "t1lmr.fd": "lmodern", "ec-lmr10.tfm": "lmodern",
}



def missing() -> list[str]:
    """What is absent: program names and LaTeX files."""
    absent = [p for p in PROGRAMS if shutil.which(p) is None]
    if "kpsewhich" in absent:
        return absent + sorted(STYLES)
    out = subprocess.run(["kpsewhich", *STYLES], capture_output=True, text=True, check=False)
    found = {os.path.basename(line) for line in out.stdout.splitlines()}
    return absent + [s for s in STYLES if s not in found]


def packages_for(absent: list[str]) -> list[str]:
    return sorted({PROGRAMS.get(a) or STYLES[a] for a in absent} | {"texlive-fonts-recommended"})


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
        echo(f"setup: TeX toolchain complete ({', '.join(PROGRAMS)} and {len(STYLES)} LaTeX files)")
        return
    packages = packages_for(absent)
    echo(f"setup: missing {', '.join(absent)}")
    commands = install_command(packages)
    if commands is None:
        raise ToolchainError(
            "cannot install them from here (needs apt-get as root or with password-less sudo).\n"
            f"  On Debian/Ubuntu run: sudo apt-get install {' '.join(packages)}\n"
            "  Elsewhere install TeX Live (with latexmk and the LaTeX packages "
            f"{', '.join(s.removesuffix('.sty') for s in STYLES if s.endswith('.sty'))}) "
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
