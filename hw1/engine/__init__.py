"""The build engine, which knows nothing of any particular document.

- ``declare``: the decorators an author writes (``experiment``, ``value``, ``figure``,
  ``claim``, ``check``), re-exported here: ``from hw1.engine import claim, value``.
- ``discover``: finds the declarations by reading the document's modules (no import).
- ``texscan``: reads the hand-written LaTeX: names it uses, unmarked display math, unfinished work.
- ``store``: content-addressed artifacts; ``fragments``: the LaTeX they become.
- ``latex``: the TeX run; ``build``: ties them together; ``checking``: ``invoke check``.

Importing this package imports only the standard library.
"""

from hw1.engine.declare import check, claim, experiment, figure, value

__all__ = ["check", "claim", "experiment", "figure", "value"]
