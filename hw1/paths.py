"""``hw1.paths`` is the engine's ``hw1.engine.paths`` (kept under its old name for scripts and
tests that import it): the very same module object, so a change to one is a change to the other."""

import sys

from hw1.engine import paths

sys.modules[__name__] = paths
