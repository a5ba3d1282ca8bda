"""``invoke watch``: rebuild on every save under doc/ or hw1/ (watchfiles does the watching)."""

from __future__ import annotations

from collections.abc import Callable

from hw1 import paths


def _relevant(change, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.endswith((".tex", ".py", ".bib", ".sty"))


def watch(build: Callable[[], None], echo=print) -> None:
    from watchfiles import watch as watch_files

    echo(f"watch: building, then watching {paths.DOC.name}/ and {paths.PACKAGE.name}/ (Ctrl-C to stop)")
    build()
    for changes in watch_files(paths.DOC, paths.PACKAGE, watch_filter=_relevant):
        changed = sorted({p.rsplit('/', 1)[-1] for _, p in changes})
        echo(f"watch: {', '.join(changed)} changed")
        build()
