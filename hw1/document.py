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
    Artifact("p1-listing", "hw1.typeset.training:listing",
             outputs=(f"{GEN}/train_sgd.py", f"{GEN}/p1-listing.tex")),
    Artifact("p1-training", "hw1.train:training_data", data=True,
             params={"n": 4, "d": 16, "K": 2, "batch": 32, "lr": 0.01, "steps": 200, "seed": 0}),
    Artifact("p1-training-figure", "hw1.figures:training_loss", inputs=("p1-training",),
             outputs=("figures/p1-training-loss.pdf",)),
    Artifact("p1-training-numbers", "hw1.typeset.training:numbers", inputs=("p1-training",),
             outputs=(f"{GEN}/p1-training.tex",)),
    # Problem 2
    Artifact("p2-ray", "hw1.logistic_experiments:ray", data=True, params={"points": 400}),
    Artifact("p2-claims", "hw1.typeset.problem2:claims", inputs=("p2-ray",),
             outputs=(f"{GEN}/p2-claims.tex",)),
    Artifact("p2-implicit-bias", "hw1.logistic_experiments:implicit_bias", data=True,
             params={"steps": 10**6, "seed": 0}),
    Artifact("p2-loss-ray-figure", "hw1.figures:loss_along_ray", inputs=("p2-ray",),
             outputs=("figures/p2-loss-ray.pdf",)),
    Artifact("p2-dloss-figure", "hw1.figures:dloss_dc", inputs=("p2-ray",),
             outputs=("figures/p2-dloss-dc.pdf",)),
    Artifact("p2-implicit-bias-figure", "hw1.figures:implicit_bias", inputs=("p2-implicit-bias",),
             outputs=("figures/p2-implicit-bias.pdf",)),
    Artifact("p2-numbers", "hw1.typeset.problem2:numbers", inputs=("p2-ray", "p2-implicit-bias"),
             outputs=(f"{GEN}/p2-numbers.tex",)),
    # Problem 3
    Artifact("p3-gradients", "hw1.problem3:table_data", data=True,
             params={"seeds": 20, "n": 4, "d": 5, "K": 3, "batch": 8}),
    Artifact("p3-table", "hw1.typeset.problem3:table", inputs=("p3-gradients",),
             outputs=(f"{GEN}/p3-table.tex",)),
    Artifact("p3-eps", "hw1.problem3:eps_data", data=True,
             params={"f": "tanh", "g": "identity", "loss": "mse", "seed": 0}),
    Artifact("p3-eps-figure", "hw1.figures:eps_sweep", inputs=("p3-eps",),
             outputs=("figures/p3-eps.pdf",)),
    Artifact("p3-eps-numbers", "hw1.typeset.problem3:eps_numbers", inputs=("p3-eps",),
             outputs=(f"{GEN}/p3-eps.tex",)),
]
