"""The homework's objects as sympy matrix expressions: the network's symbols, each with the way
the document writes it.  Importing this module imports sympy.

How they are printed and evaluated is the engine's (``hw1.engine.printing``), re-exported here:
a problem's module makes its own symbols with ``matrix``, ``scalar`` and ``indexed``, builds
formulas with ``mm``, ``add``, ``neg``, ``T``, ``ReLU``..., and ``hw1.engine.claims`` prints and
evaluates them.
"""

from __future__ import annotations

import sympy as sp

from hw1.engine.printing import (  # noqa: F401 - the API a problem's module uses as s.<name>
    Diag,
    DocLatexPrinter,
    DocNumPyPrinter,
    ReLU,
    SquaredNorm,
    Step,
    T,
    add,
    i,
    indexed,
    j,
    lambdify,
    latex,
    matrix,
    mm,
    neg,
    scalar,
    shape_problem,
)

# -- sizes ------------------------------------------------------------------------------------
n, d, K = sp.symbols("n d K", integer=True, positive=True)
eta = sp.Symbol("eta", positive=True)          # the learning rate
c = sp.Symbol("c", positive=True)              # the scale along a ray

# -- the network's variables (column vectors are (m, 1) matrices) ------------------------------
x = matrix("x", n, 1, r"\mathbf{x}")
y = matrix("y", K, 1, r"\mathbf{y}")
W1 = matrix("W1", d, n, r"\mathbf{W}", "(1)")
b1 = matrix("b1", d, 1, r"\mathbf{b}", "(1)")
W2 = matrix("W2", K, d, r"\mathbf{W}", "(2)")
b2 = matrix("b2", K, 1, r"\mathbf{b}", "(2)")
z1 = matrix("z1", d, 1, r"\mathbf{z}_{1}")           # output of Linear1
z2 = matrix("z2", d, 1, r"\mathbf{z}_{2}")           # output of f
z3 = matrix("z3", K, 1, r"\mathbf{z}_{3}")           # output of Linear2
y_hat = matrix("y_hat", K, 1, r"\hat{\mathbf{y}}")   # output of g
ell = matrix("ell", 1, 1, r"\ell")                   # the loss, a scalar

# -- the Jacobians of the backward pass (numerator layout) -------------------------------------
dl_dyhat = matrix("dl_dyhat", 1, K, r"\frac{\partial \ell}{\partial \hat{\mathbf{y}}}")
dyhat_dz3 = matrix("dyhat_dz3", K, K, r"\frac{\partial \hat{\mathbf{y}}}{\partial \mathbf{z}_{3}}")
dz2_dz1 = matrix("dz2_dz1", d, d, r"\frac{\partial \mathbf{z}_{2}}{\partial \mathbf{z}_{1}}")
dz3_db2 = matrix("dz3_db2", K, K, r"\frac{\partial \mathbf{z}_{3}}{\partial \mathbf{b}^{(2)}}")
dz3_dz2 = matrix("dz3_dz2", K, d, r"\frac{\partial \mathbf{z}_{3}}{\partial \mathbf{z}_{2}}")
dz1_db1 = matrix("dz1_db1", d, d, r"\frac{\partial \mathbf{z}_{1}}{\partial \mathbf{b}^{(1)}}")

# -- gradients, shaped like their parameters ---------------------------------------------------
dW1 = matrix("dW1", d, n, r"d\mathbf{W}", "(1)")
db1 = matrix("db1", d, 1, r"d\mathbf{b}", "(1)")
dW2 = matrix("dW2", K, d, r"d\mathbf{W}", "(2)")
db2 = matrix("db2", K, 1, r"d\mathbf{b}", "(2)")

# -- SGD: all parameters stacked in one vector ------------------------------------------------
P = sp.Symbol("P", integer=True, positive=True)   # number of parameters
theta = matrix("theta", P, 1, r"\boldsymbol{\theta}")
theta_next = matrix("theta_next", P, 1, r"\boldsymbol{\theta}'")
grad_theta = matrix("grad_theta", P, 1, r"\nabla_{\boldsymbol{\theta}} \ell")

# -- entries of the network's vectors, for element-wise formulas (indices run from 0 in code) ---
z1_ = indexed("z1", "z", "1")
y_hat_ = indexed("y_hat", r"\hat{y}")
y_ = indexed("y", "y")
