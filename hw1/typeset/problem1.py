"""Problem 1's fragments: the verified equations of parts 2-4 and the SGD step of part 1
(part 1's listing and training numbers are in ``hw1.typeset.training``)."""

from __future__ import annotations

from pylatex import NoEscape, Tabular

from hw1 import problem1
from hw1 import symbolic as s
from hw1.typeset import define, equations, verify_all, write_fragment

GEN = "build/generated"


def _math(expr) -> NoEscape:
    return NoEscape(f"${s.latex(expr)}$")        # sympy's printer output, nothing else


def layer_table() -> Tabular:
    """Each layer's input and output, by name, with the space the output lives in."""
    table = Tabular("llll", booktabs=True)
    table.add_row(["Layer", "Input", "Output", "Output lives in"])
    table.add_hline()
    rows = [(r"$\mathrm{Linear}_1$", [s.x], s.z1), ("$f$", [s.z1], s.z2),
            (r"$\mathrm{Linear}_2$", [s.z2], s.z3), ("$g$", [s.z3], s.y_hat),
            (r"$\ell_{\mathrm{MSE}}$", [s.y_hat, s.y], s.ell)]
    for layer, inputs, output in rows:
        rows_, cols = output.shape
        where = r"$\mathbb{R}$" if rows_ == 1 else r"$\mathbb{R}^{%s}$" % s.latex(rows_)
        table.add_row([NoEscape(layer), NoEscape(", ".join(_math(i) for i in inputs)),
                       _math(output), NoEscape(where)])
    return table


def claims(ctx) -> None:
    """Verify Problem 1's claims and write the fragments that display them."""
    made_by = "hw1.typeset.problem1.claims"
    by_name = {c.name: c for c in problem1.claims()}
    results = verify_all(list(by_name.values()))

    def pick(prefix: str, *names: str):
        return [by_name[f"{prefix}.{n}"] for n in names]

    write_fragment(ctx.out(f"{GEN}/p1-forward.tex"), [
        r"\begin{table}[htbp]\centering",
        r"\caption{The layers' inputs and outputs for one point.}\label{tab:layers}",
        layer_table(), r"\end{table}",
        equations(pick("p1.forward", "z1", "z2", "z3", "y_hat", "loss"), results),
    ], made_by=made_by)
    write_fragment(ctx.out(f"{GEN}/p1-backward.tex"), [
        r"\paragraph{Local derivatives.}",
        equations(pick("p1.backward", "dz3_db2", "dz3_dz2", "dz1_db1"), results),
        r"\paragraph{Gradients.}",
        equations(pick("p1.backward", "dW2", "db2", "dW1", "db1"), results),
    ], made_by=made_by)
    write_fragment(ctx.out(f"{GEN}/p1-jacobians.tex"), [
        equations(pick("p1.jacobian", "dz2_dz1", "dz2_dz1.ij", "dyhat_dz3", "dyhat_dz3.ij",
                       "dl_dyhat", "dl_dyhat.1j"), results),
        *kink_values(),
    ], made_by=made_by)
    write_fragment(ctx.out(f"{GEN}/p1-sgd.tex"), [
        equations([by_name["p1.sgd.step"]], results, with_space=False),
    ], made_by=made_by)


def kink_values() -> list[str]:
    """Macros with what PyTorch's autograd returns for ReLU and 5 ReLU at exactly 0."""
    import torch

    from hw1 import reference

    out = []
    for name, macro in (("relu", "PoneReluGradAtZero"), ("5relu", "PoneFiveReluGradAtZero")):
        z = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        reference.activation(name)(z).sum().backward()
        out.append(define(macro, f"{z.grad.item():g}"))
    return out
