"""The document's generated artifacts, in build order.  Declarations only: importing this
module imports nothing heavy, so a no-op build stays cheap.

Fragments go to build/generated/ (\\input by doc/*.tex), figures to figures/, computed data
to build/cache/data/<name>.json (see hw1.engine.store)."""

from __future__ import annotations

from hw1.engine.store import Artifact

GEN = "build/generated"

ARTIFACTS: list[Artifact] = [
    Artifact("settings", "hw1.typeset.settings:constants", outputs=(f"{GEN}/settings.tex",)),
    # Problem 1
    Artifact("p1-claims", "hw1.typeset.problem1:claims",
             outputs=(f"{GEN}/p1-forward.tex", f"{GEN}/p1-backward.tex", f"{GEN}/p1-jacobians.tex",
                      f"{GEN}/p1-sgd.tex")),
    Artifact("p1-listing", "hw1.typeset.problem1:listing",
             outputs=(f"{GEN}/train_sgd.py", f"{GEN}/p1-listing.tex")),
    Artifact("p1-training", "hw1.train:training_data", data=True,
             params={"n": 4, "d": 16, "K": 2, "batch": 32, "lr": 0.01, "steps": 200, "seed": 0}),
    Artifact("p1-training-figure", "hw1.figures:training_loss", inputs=("p1-training",),
             outputs=("figures/p1-training-loss.pdf",)),
    Artifact("p1-training-numbers", "hw1.typeset.problem1:training_numbers", inputs=("p1-training",),
             outputs=(f"{GEN}/p1-training.tex",)),
]
