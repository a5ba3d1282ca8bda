"""PNG previews of the PDF's first pages, for the README (``invoke previews``)."""

from __future__ import annotations

import shutil
import subprocess

from hw1.engine import paths


def _count(name: str, value, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"--{name} must be a whole number from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"--{name} must be from {low} to {high}, got {number}")
    return number


def make(pages: int = 2, dpi: int = 60, echo=print) -> list[str]:
    """Render pages 1..``pages`` of the PDF at ``dpi`` into previews/page-N.png."""
    if not paths.PDF.is_file():
        raise FileNotFoundError(f"{paths.PDF.relative_to(paths.ROOT)} does not exist: "
                                "run `invoke build-pdf` first")
    if shutil.which("pdftoppm") is None:
        raise FileNotFoundError("pdftoppm is not installed: run `invoke setup` (it installs poppler-utils)")
    from hw1.engine.latex import page_count

    pages = _count("pages", pages, 1, page_count() or 1)
    dpi = _count("dpi", dpi, 20, 300)
    paths.PREVIEWS.mkdir(parents=True, exist_ok=True)
    for old in paths.PREVIEWS.glob("page-*.png"):
        old.unlink()
    for page in range(1, pages + 1):   # one call a page: names stay page-N.png, never zero-padded
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-singlefile", str(paths.PDF), str(paths.PREVIEWS / f"page-{page}")], check=True)
    made = sorted(p.relative_to(paths.ROOT).as_posix() for p in paths.PREVIEWS.glob("page-*.png"))
    echo("previews: " + ", ".join(made))
    return made
