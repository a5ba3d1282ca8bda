"""The notation of the student's draft (Problem 1: f = 5 ReLU, g = identity, the squared error),
with the spellings the draft uses: W^{(1)} and \\mathbf{W}^{(1)}, x and \\mathbf{x}, ..."""

from hw1.engine.notation import Notation

NOTATION = N = Notation()                       # numerator layout: dl/dy_hat is a 1 x K row
n, h, K = N.size("n", 4), N.size("h", 5), N.size("K", 3)   # distinct sizes: a mismatch shows
N.vector(r"\mathbf{x}", "x", size=n)
N.vector(r"\mathbf{y}", "y", size=K)
N.matrix(r"\mathbf{W}^{(1)}", "W^{(1)}", shape=(h, n))
N.vector(r"\mathbf{b}^{(1)}", "b^{(1)}", size=h)
N.matrix(r"\mathbf{W}^{(2)}", "W^{(2)}", shape=(K, h))
N.vector(r"\mathbf{b}^{(2)}", "b^{(2)}", size=K)
N.function("f", meaning=r"5\max(0, t)")
N.function("g", meaning="t")
N.define(r"\mathbf{z}_1", "z_1", r"\mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)}")
N.define(r"\mathbf{z}_2", "z_2", r"f(z_1)")
N.define(r"\mathbf{z}_3", "z_3", r"\mathbf{W}^{(2)} z_2 + \mathbf{b}^{(2)}")
N.define(r"\hat{\mathbf{y}}", r"\hat{y}", r"g(z_3)")
N.define(r"\ell", r"\|\hat{y} - y\|^2")
N.define("dW^{(1)}", r"\frac{\partial \ell}{\partial W^{(1)}}")
N.define("db^{(1)}", r"\frac{\partial \ell}{\partial b^{(1)}}")
N.define("dW^{(2)}", r"\frac{\partial \ell}{\partial W^{(2)}}")
N.define("db^{(2)}", r"\frac{\partial \ell}{\partial b^{(2)}}")
