r"""Bibliographies: bibtex (or biber) between TeX passes, when the document asks for one.

A document that cites with ``\cite`` and names its ``.bib`` files with ``\bibliography{refs}``
makes pdflatex write ``\bibdata{refs}`` into the ``.aux``; one that uses biblatex with biber
makes it write a request file, ``<job>.bcf``.  After every successful pass the TeX run
(``latex``) calls ``update``, which runs bibtex on the ``.aux`` (or biber on the ``.bcf``) when
what it would read changed since it last ran: the citations and styles the ``.aux`` names (or
the ``.bcf``), and the content of the ``.bib`` files.  It writes ``<job>.bbl``, which the next
pass reads; ``.bbl`` is one of the auxiliary files whose change makes ``latex`` run another pass,
so the passes repeat until the auxiliary files settle, as latexmk does.

The ``.bib`` files are sources: they live in the document's folder, where the build tracks
them (``build``'s TeX inputs), so editing one rebuilds the PDF.  bibtex finds them, and the
styles, on ``BIBINPUTS``/``BSTINPUTS``, set to the document's folder and TeX's own paths.
A bibtex error (a missing ``.bib``, an entry it cannot read) stops the build with bibtex's own
message and the path of its log (``<job>.blg``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from hw1.engine import paths


class BibliographyError(Exception):
    """bibtex or biber failed; the message says why and where its log is."""


def _aux(outdir: Path) -> str:
    try:
        return paths.read_text(paths.tex_file(".aux", outdir), "utf-8", "replace")
    except OSError:
        return ""


def _bib_files(names: list[str], env: dict[str, str]) -> list[Path]:
    """The ``.bib`` files named in ``\\bibdata``, where bibtex will find them (first the
    document's folder, then TeX's search path); one that cannot be found is left to bibtex,
    which says so."""
    found = []
    for name in names:
        name = name if name.endswith(".bib") else f"{name}.bib"
        local = paths.DOC / name
        if local.is_file():
            found.append(local)
            continue
        try:
            out = subprocess.run(["kpsewhich", "-format=bib", name], cwd=paths.ROOT, env=env,
                                 capture_output=True, text=True, check=False, timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out:
            found.append(Path(out) if Path(out).is_absolute() else paths.ROOT / out)
    return found


def request(outdir: Path, env: dict[str, str]) -> tuple[str, list[str], list[Path]] | None:
    """What the last pass asks for: ("bibtex" or "biber", the lines of the request, the .bib
    files it names), or None if the document has no bibliography."""
    lines = [line for line in _aux(outdir).splitlines()
             if line.startswith((r"\citation{", r"\bibdata{", r"\bibstyle{"))]
    data = [name.strip() for line in lines if line.startswith(r"\bibdata{")
            for name in line[len(r"\bibdata{"):].rstrip("}").split(",")]
    if data:
        return "bibtex", lines, _bib_files(data, env)
    bcf = paths.tex_file(".bcf", outdir)       # biblatex with biber (with bibtex, it writes \bibdata)
    if bcf.is_file():
        text = bcf.read_text(encoding="utf-8", errors="replace")
        names = re.findall(r"<bcf:datasource[^>]*>([^<]+)</bcf:datasource>", text)
        return "biber", [text], _bib_files(names, env)
    return None


def environment(env: dict[str, str]) -> dict[str, str]:
    """bibtex's search paths: the document's folder, then TeX's own."""
    doc = paths.rel(paths.DOC)
    return {**env, "BIBINPUTS": os.pathsep.join([doc, ""]), "BSTINPUTS": os.pathsep.join([doc, ""])}


def update(env: dict[str, str], outdir: Path | None = None) -> bool:
    """Run bibtex (or biber) if the document asks for a bibliography and what it reads changed
    since it last ran; True if it ran.  Raises BibliographyError if it fails."""
    outdir = paths.TEX_OUT if outdir is None else outdir
    env = environment(env)
    asked = request(outdir, env)
    if asked is None:
        return False
    tool, lines, bibs = asked
    digest = hashlib.sha256()
    for part in [tool, *lines]:
        digest.update(part.encode() + b"\n")
    for bib in bibs:
        digest.update(bib.name.encode() + b"\0" + bib.read_bytes())
    stamp, bbl = paths.tex_file(".bibkey", outdir), paths.tex_file(".bbl", outdir)
    try:
        if bbl.is_file() and paths.read_text(stamp, "utf-8", "replace") == digest.hexdigest():
            return False
    except OSError:
        pass
    if shutil.which(tool) is None:
        raise BibliographyError(f"the document asks for a bibliography made by {tool}, which is not "
                                f"installed: install it (TeX Live's {tool} package)")
    if tool == "bibtex":
        cmd = ["bibtex", paths.rel(outdir / paths.JOB)]
    else:
        cmd = ["biber", "--quiet", f"--input-directory={paths.rel(outdir)}",
               f"--output-directory={paths.rel(outdir)}", f"{paths.JOB}.bcf"]
    try:
        out = subprocess.run(cmd, cwd=paths.ROOT, env=env, capture_output=True, text=True,
                             errors="replace", check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BibliographyError(f"{tool} could not run: {exc}") from None
    log = paths.tex_file(".blg", outdir)
    if out.returncode >= 2 or not bbl.is_file():   # bibtex: 1 = warnings only
        text = out.stdout + out.stderr
        errors = [line.strip() for line in text.splitlines()
                  if re.search(r"I couldn't open|I found no|error message|ERROR|---line \d+", line)]
        raise BibliographyError(f"{tool} failed: " + ("; ".join(errors[:3]) or text.strip()[-300:])
                                + f"\n  full log: {paths.rel(log)}")
    stamp.write_text(digest.hexdigest())
    return True


def sources() -> list[str]:
    """The ``.bib`` files of the document's folder, relative to the project (tracked inputs)."""
    return [p.relative_to(paths.ROOT).as_posix() for p in sorted(paths.DOC.rglob("*.bib"))]
