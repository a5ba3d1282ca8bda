"""Problem 2's fragments: the verified loss and derivative along a ray, and the numbers the
proof and the implicit-bias discussion quote."""

from __future__ import annotations

from hw1 import problem2
from hw1.typeset import define, equations, sci, verify_all, write_fragment

GEN = "build/generated"


def claims(ctx) -> None:
    """The loss along a ray and its derivative, verified on the rays p2-ray computed."""
    rays = ctx.data("p2-ray")
    points = problem2.points_at([(rays[name]["X"], rays[name]["y"], rays[name]["w"])
                                 for name in ("separable", "non-separable")])
    cs = problem2.claims(lambda: points)
    results = verify_all(cs)
    write_fragment(ctx.out(f"{GEN}/p2-claims.tex"), [equations(cs, results, with_space=False)],
                   made_by="hw1.typeset.problem2.claims")


def numbers(ctx) -> None:
    """Macros for every number Problem 2's text quotes, from the computed data."""
    ray, ib = ctx.data("p2-ray"), ctx.data("p2-implicit-bias")
    sep, non = ray["separable"], ray["non-separable"]
    w_hat = ", ".join(f"{v:.4g}" for v in ib["w_hat"])
    write_fragment(ctx.out(f"{GEN}/p2-numbers.tex"), [
        define("PtwoSepN", str(sep["n"])),
        define("PtwoSepMinMargin", f"{sep['min_margin']:.4g}"),
        define("PtwoNonN", str(non["n"])),
        define("PtwoCStar", f"{non['c_star']:.3f}"),
        define("PtwoN", str(ib["n"])),
        *(define(f"PtwoSupport{name}", f"({a:g}, {b:g})")
          for name, (a, b) in zip("AB", ib["support"], strict=True)),
        define("PtwoMonotoneFrom", str(ib["monotone_from"])),
        define("PtwoSteps", sci(ib["steps"], 1)),
        define("PtwoSigmaMax", f"{ib['sigma_max']:.3f}"),
        define("PtwoLR", f"{ib['lr']:.4f}"),
        define("PtwoLRBound", f"{ib['lr_bound']:.4f}"),
        define("PtwoWHat", w_hat),
        define("PtwoWHatNorm", f"{ib['w_hat_norm']:.6f}"),
        define("PtwoSlope", f"{ib['slope']:.6f}"),
        define("PtwoSlopeRelDiff", sci(abs(ib["slope_rel_diff"]), 2)),
        define("PtwoFitFrom", sci(ib["fit_window"][0], 1)),
        define("PtwoFitTo", sci(ib["fit_window"][1], 1)),
        define("PtwoFinalAngle", sci(ib["final_angle"], 2)),
        define("PtwoTLoss", f"{ib['final_t_loss']:.4f}"),
        define("PtwoTLossLimit", f"{ib['predicted_t_loss']:.4f}"),
        define("PtwoAngleMonotone", "decreases at every checkpoint" if ib["angle_monotone_after_100"]
               else "does not decrease monotonically"),
    ], made_by="hw1.typeset.problem2.numbers")
