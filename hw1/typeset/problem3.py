"""Problem 3's fragments: the gradient-check table and the numbers around the eps figure."""

from __future__ import annotations

from pylatex import NoEscape, Tabular

from hw1.typeset import define, sci, write_fragment

GEN = "build/generated"
NAMES = {"5relu": r"$5\,\mathrm{ReLU}$", "relu": r"$\mathrm{ReLU}$", "tanh": r"$\tanh$",
         "sigmoid": r"$\sigma$", "identity": "identity", "mse": "MSE", "bce": "BCE"}


def table(ctx) -> None:
    """One row per configuration: the largest error of any gradient against each reference."""
    data = ctx.data("p3-gradients")
    tab = Tabular("lllrrc", booktabs=True)
    tab.add_row([NoEscape("$f$"), NoEscape("$g$"), "loss", "vs autograd", "vs finite diff.", "result"])
    tab.add_hline()
    for row in data["rows"]:
        auto, fd = max(row["autograd"].values()), max(row["fd"].values())
        ok = row["ok"] and auto <= data["rtol_autograd"] and fd <= data["rtol_fd"]
        tab.add_row([NoEscape(NAMES[row["f"]]), NoEscape(NAMES[row["g"]]), NAMES[row["loss"]],
                     sci(auto), sci(fd), "ok" if ok else "FAIL"])
    if not all(r["ok"] for r in data["rows"]):
        failed = [f"{r['f']}/{r['g']}/{r['loss']}" for r in data["rows"] if not r["ok"]]
        raise RuntimeError(f"gradient checks failed for {', '.join(failed)}")
    rejected = sum(r["rejected_near_kink"] for r in data["rows"])
    write_fragment(ctx.out(f"{GEN}/p3-table.tex"), [
        define("PthreeSeeds", str(data["seeds"])),
        define("PthreeConfigs", str(len(data["rows"]))),
        define("PthreeN", str(data["n"])), define("PthreeD", str(data["d"])),
        define("PthreeK", str(data["K"])), define("PthreeBatch", str(data["batch"])),
        define("PthreeRejected", str(rejected)),
        define("PthreeWorstAutograd", sci(max(max(r["autograd"].values()) for r in data["rows"]))),
        define("PthreeWorstFD", sci(max(max(r["fd"].values()) for r in data["rows"]))),
        r"\newcommand{\PthreeTable}{%", tab, "}",
    ], made_by="hw1.typeset.problem3.table")


def eps_numbers(ctx) -> None:
    d = ctx.data("p3-eps")
    write_fragment(ctx.out(f"{GEN}/p3-eps.tex"), [
        define("PthreeEpsConfig", NoEscape(f"$f = {NAMES[d['f']].strip('$')}$, $g$ = {NAMES[d['g']]}, "
                                           f"{NAMES[d['loss']]} loss, seed {int(d['seed'])}")),
        define("PthreeBestEps", sci(d["best_eps"], 2)),
        define("PthreeBestErr", sci(d["best_error"], 2)),
        define("PthreeChosenEps", sci(d["chosen_eps"], 2)),
        define("PthreeChosenErr", sci(d["chosen_error"], 2)),
    ], made_by="hw1.typeset.problem3.eps_numbers")
