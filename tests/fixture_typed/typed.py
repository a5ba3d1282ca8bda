"""The typed-math fixture's notation: a one-layer model (x -> z = W x -> y_hat = sigma(z) -> loss)."""

from hw1.engine.notation import Notation

NOTATION = N = Notation()
n, K = N.size("n", 4), N.size("K", 3)
N.vector(r"\mathbf{x}", "x", size=n)
N.matrix(r"\mathbf{W}", "W", shape=(K, n))
N.vector(r"\mathbf{y}", "y", size=K)
N.function(r"\sigma", meaning=r"\frac{1}{1 + e^{-t}}")
N.define(r"\mathbf{z}", "z", r"\mathbf{W}\mathbf{x}")
N.define(r"\hat{\mathbf{y}}", r"\hat y", r"\sigma(\mathbf{z})")
N.define(r"\ell", r"\lVert \hat{\mathbf{y}} - \mathbf{y} \rVert^2")
