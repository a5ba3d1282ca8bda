"""Problem 1, part 1: the listing of the training function, read from its source at build
time, and the numbers of the training run.  No sympy here, so these artifacts do not wait for
the symbolic work."""

from __future__ import annotations

import inspect

from hw1.typeset import define, sci, write_fragment

GEN = "build/generated"


def listing(ctx) -> None:
    """The source of hw1.train.train_sgd, as it is now, for the document to list."""
    from hw1 import train

    lines, first = inspect.getsourcelines(train.train_sgd)
    code = "".join(lines)
    if not code.isascii():
        raise ValueError("hw1.train.train_sgd contains non-ASCII characters, which the listing "
                         "cannot typeset; write its comments in ASCII")
    ctx.out(f"{GEN}/train_sgd.py").write_text(code, encoding="ascii")
    write_fragment(ctx.out(f"{GEN}/p1-listing.tex"), [
        define("PoneListingFirst", str(first)),
        define("PoneListingLast", str(first + len(lines) - 1)),
    ], made_by="hw1.typeset.training.listing")


def numbers(ctx) -> None:
    """The setting and the start and end losses of part 1's training run, as macros."""
    data = ctx.data("p1-training")
    write_fragment(ctx.out(f"{GEN}/p1-training.tex"), [
        *(define(f"PoneTrain{key}", str(data[field])) for key, field in
          (("Batch", "batch"), ("N", "n"), ("D", "d"), ("K", "K"), ("Steps", "steps"), ("Seed", "seed"))),
        define("PoneTrainLR", f"{data['lr']:g}"),
        define("PoneLossStart", sci(data["losses"][0], 3)),
        define("PoneLossEnd", sci(data["losses"][-1], 3)),
    ], made_by="hw1.typeset.training.numbers")
