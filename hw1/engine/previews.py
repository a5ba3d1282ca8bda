"""PNG previews of the PDF's first pages, for the README (``invoke previews``)."""

from __future__ import annotations

import shutil
import subprocess

from hw1 import paths


def make(pages: int = 2, dpi: int = 60, echo=print) -> list[str]:
    if not paths.PDF.is_file():
        raise FileNotFoundError(f"{paths.PDF.relative_to(paths.ROOT)} does not exist: "
                                "run `invoke build-pdf` first")
    if shutil.which("pdftoppm") is None:
        raise FileNotFoundError("pdftoppm is not installed: run `invoke setup` (it installs poppler-utils)")
    paths.PREVIEWS.mkdir(exist_ok=True)
    for old in paths.PREVIEWS.glob("page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", str(pages),
                    str(paths.PDF), str(paths.PREVIEWS / "page")], check=True)
    made = sorted(p.relative_to(paths.ROOT).as_posix() for p in paths.PREVIEWS.glob("page-*.png"))
    echo("previews: " + ", ".join(made))
    return made
