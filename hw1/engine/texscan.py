r"""Reading the hand-written LaTeX: the names it uses and its unfinished work.

- **Names.** ``\claim{m.f}``, ``\claims{m.f, m.g}`` (``\claims*`` without the column of spaces),
  ``\val{m.f}``, ``\fig{m.f}`` and ``\madeby{m.f}`` name declarations of the document's modules;
  ``references`` finds them with their file and line, so that a name no module declares stops
  the build at the line that used it, with the closest known names.
- **Display math** is ``hw1.engine.typed``'s: it reads and checks each display typed by hand,
  and names those it cannot check and that carry no ``\unchecked``.
- **Unfinished work.** Placeholder words (Blah, TODO, FIXME, XXX, TBD, comments included), a
  bare "Given...", an empty proof, and the "answer not yet written" notice ``\answerpending``.

Comments are ignored (except for placeholder words: "% TODO" is unfinished work too).
Standard library only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from hw1.engine import paths

MACROS = {"claim": "claim", "claims": "claim", "val": "value", "valdef": "value", "fig": "figure",
          "madeby": None}
REFERENCE = re.compile(r"\\(claims|claim|valdef|val|fig|madeby)\*?\s*(?:(?<=valdef)\s*\{?\\[A-Za-z@]+\}?\s*)?"
                       r"\{([^{}]*)\}")
PLACEHOLDERS = re.compile(r"\b(Blah|TODO|FIXME|XXX|TBD)\b", re.IGNORECASE)
BARE_GIVEN = re.compile(r"^\s*Given\s*(\.\.\.|\\dots|\\ldots|…)\s*$")
NOTICE = re.compile(r"\\answerpending(?![A-Za-z@])")
PROOF = re.compile(r"\\begin\{proof\}(?:\[[^\]]*\])?(.*?)\\end\{proof\}", re.DOTALL)
ENV = re.compile(r"\\(begin|end)\{([^{}]+)\}")


class Finding(NamedTuple):
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


class Reference(NamedTuple):
    file: str
    line: int
    macro: str          # claim, claims, val, fig, madeby
    name: str
    starred: bool


def tex_files(doc: Path | None = None) -> list[Path]:
    doc = paths.DOC if doc is None else doc
    from hw1.engine.discover import natural

    return sorted(doc.rglob("*.tex"), key=lambda p: natural(p.relative_to(doc).as_posix()))


def strip_comments(text: str) -> str:
    """``text`` with every LaTeX comment (from an unescaped % to the end of its line) removed;
    line breaks are kept, so offsets map to the same line numbers."""
    return re.sub(r"(?<!\\)%[^\n]*", "", text)


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def references(path: Path, text: str | None = None) -> list[Reference]:
    """Every name ``path`` uses through \\claim, \\claims, \\val, \\fig and \\madeby."""
    rel = paths.rel(path)
    code = strip_comments(path.read_text(encoding="utf-8", errors="replace") if text is None else text)
    found = []
    for m in REFERENCE.finditer(code):
        starred = code[m.start(): m.end()].startswith(f"\\{m.group(1)}*")
        names = [n.strip() for n in m.group(2).split(",")] if m.group(1) == "claims" else [m.group(2).strip()]
        for name in names:
            found.append(Reference(rel, _line(code, m.start()), m.group(1), name, starred))
    return found


def find_unfinished(path: Path, text: str | None = None) -> list[Finding]:
    """Placeholder words, bare "Given...", empty proofs and pending-answer notices in ``path``."""
    rel = paths.rel(path)
    text = path.read_text(encoding="utf-8", errors="replace") if text is None else text
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for m in PLACEHOLDERS.finditer(line):      # comments count: "% TODO" is unfinished work
            found.append(Finding(rel, number, f"placeholder word {m.group(0)!r}"))
        code = strip_comments(line)
        if BARE_GIVEN.match(code):
            found.append(Finding(rel, number, "a bare 'Given...' with nothing after it"))
        if NOTICE.search(code) and "newcommand" not in code:
            found.append(Finding(rel, number, "answer not yet written (\\answerpending)"))
    code = strip_comments(text)
    for m in PROOF.finditer(code):
        body = re.sub(r"\\(qedhere|qed)\b|\\par\b|\\(medskip|smallskip|bigskip)\b", "", m.group(1))
        if not body.strip():
            found.append(Finding(rel, _line(code, m.start()), "empty proof environment"))
    return found


def unclosed(path: Path) -> list[Finding]:
    r"""Environments ``path`` opens and does not close (or closes without opening): a likely
    cause of a TeX error that TeX itself reports elsewhere (at the \end of the enclosing file)."""
    rel = paths.rel(path)
    code = strip_comments(path.read_text(encoding="utf-8", errors="replace"))
    stack: list[tuple[str, int]] = []
    found = []
    for m in ENV.finditer(code):
        kind, env, line = m.group(1), m.group(2), _line(code, m.start())
        if kind == "begin":
            stack.append((env, line))
        elif stack and stack[-1][0] == env:
            stack.pop()
        elif any(e == env for e, _ in stack):
            while stack and stack[-1][0] != env:
                e, at = stack.pop()
                found.append(Finding(rel, at, f"\\begin{{{e}}} is not closed before \\end{{{env}}} "
                                              f"on line {line}"))
            stack.pop()
        else:
            found.append(Finding(rel, line, f"\\end{{{env}}} without a \\begin{{{env}}} in this file"))
    found += [Finding(rel, at, f"\\begin{{{e}}} is never closed in this file") for e, at in stack]
    return sorted(found, key=lambda f: f.line)


def check_references(refs: list[Reference], declared: dict) -> list[Finding]:
    """Findings for names no module declares, or that name the wrong kind of thing.
    ``declared`` maps a name to its Declaration."""
    from hw1.engine.discover import closest

    out = []
    for ref in refs:
        want = MACROS[ref.macro]
        decl = declared.get(ref.name)
        usable = {n: d for n, d in declared.items() if (want is None or d.kind == want) and not d.wrong}
        if decl is None or (decl.wrong and ref.macro != "madeby"):
            kind = want or "declaration"
            near = closest(ref.name, usable)
            hint = f"; closest: {', '.join(near)}" if near else (
                f"; known {kind}s: {', '.join(sorted(usable)[:8])}" if usable else
                f"; no module of {paths.rel(paths.DOC)}/ declares a {kind} yet")
            if decl is not None:
                hint = f": {decl.name} is declared wrong=True at {decl.where}, a mistake kept on record"
            out.append(Finding(ref.file, ref.line, f"unknown {kind} {ref.name!r}{hint}"))
        elif want is not None and decl.kind != want:
            article = "an" if decl.kind[0] in "aeiou" else "a"
            out.append(Finding(ref.file, ref.line, f"\\{ref.macro} shows a {want}, but {ref.name} is "
                                                   f"{article} {decl.kind} ({decl.where})"))
    return out


def scan(doc: Path | None = None, *, unfinished: bool = True
         ) -> tuple[list[Reference], list[Finding]]:
    """(references, unfinished work) of every .tex file of the document (the second left empty
    with ``unfinished=False``)."""
    refs, todo = [], []
    for path in tex_files(doc):
        text = path.read_text(encoding="utf-8", errors="replace")
        refs += references(path, text)
        if unfinished:
            todo += find_unfinished(path, text)
    return refs, todo
