"""The build engine, which knows nothing of any particular document: it imports nothing of the
hw1 package outside ``hw1/engine/`` (a test walks its import graph).

What an author uses:
- ``declare``: the decorators an author writes (``experiment``, ``value``, ``figure``,
  ``claim``, ``check``; ``references``: the numbers behind a typed display's ``\\checkedby``),
  re-exported here: ``from hw1.engine import claim, value``.
- ``number`` (from ``fragments``): a number formatted as ``@value`` formats it (true minus
  sign, ``\\times 10^{k}``), for a table's cells: ``from hw1.engine import number``.
- ``claims``: a claim ``lhs = rhs``, printed and checked numerically on seeded points;
  ``printing``: its LaTeX printer and numeric namespace (symbols made with their LaTeX).
- ``notation``: a document's symbols, declared once with their LaTeX; ``mathread`` (with
  ``mathgrammar.lark``) reads a row of typed display math with it, ``mathcheck`` checks every
  ``=`` step numerically (derivatives by torch autograd).

What the build runs:
- ``paths``: every folder of the project, from ``[tool.hw1]`` (the document chosen, of several).
- ``discover``: finds the declarations by reading the document's modules (no import).
- ``texscan``: reads the hand-written LaTeX: names it uses, unfinished work, environments left open.
- ``deps``: what an artifact depends on (import closures, library versions, file hashes).
- ``store``: content-addressed artifacts; ``workers``: the processes that compute them (progress,
  time limits, nothing left running); ``run``: running one
  declaration; ``fragments``: the LaTeX they become (``tex/verified.sty`` reads it).
- ``typed``: typed display math in the ``.tex`` files, checked and marked row by row.
- ``latex``: the TeX run; ``texformat``: the precompiled preamble; ``bibliography``: bibtex or
  biber between passes; ``ahead``: the pass ``invoke watch`` starts ahead of time.
- ``build``: ties them together (``invoke build-pdf``; its docstring says which layers decide
  what to rebuild); ``noop``: the no-op answered at once; ``checking``: ``invoke check``;
  ``watch``: ``invoke watch``; ``previews``: PNG pages; ``toolchain``: ``invoke setup``.

Importing this package imports only the standard library.
"""

from hw1.engine.declare import check, claim, experiment, figure, references, value
from hw1.engine.fragments import number

__all__ = ["check", "claim", "experiment", "figure", "number", "references", "value"]
