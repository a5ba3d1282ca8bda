"""A second course-style mlp.py, right, written unlike mlp.py: activations from a table, sums as
einsum, gradients accumulated into the buffers that clear_grad_and_cache zeroes (created with
torch's default dtype), and the cross-entropy's dJ/dy_hat as -y/y_hat + (1 - y)/(1 - y_hat)."""

import torch

# name: (activation, its derivative from z and a = activation(z))
ACTIVATIONS = {
    "relu": (torch.relu, lambda z, a: (z > 0).to(z.dtype)),
    "sigmoid": (torch.sigmoid, lambda z, a: a * (1 - a)),
    "identity": (lambda z: z, lambda z, a: torch.ones_like(z)),
}


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f, self.df = ACTIVATIONS[f_function]
        self.g, self.dg = ACTIVATIONS[g_function]
        n, d, K = linear_1_in_features, linear_1_out_features, linear_2_out_features
        assert linear_2_in_features == d
        self.parameters = {"W1": torch.randn(d, n), "b1": torch.randn(d),
                           "W2": torch.randn(K, d), "b2": torch.randn(K)}
        self.grads = {"dJdW1": torch.zeros(d, n), "dJdb1": torch.zeros(d),
                      "dJdW2": torch.zeros(K, d), "dJdb2": torch.zeros(K)}
        self.cache = {}

    def forward(self, x):
        p = self.parameters
        z1 = torch.einsum("bn,dn->bd", x, p["W1"]) + p["b1"]
        z2 = self.f(z1)
        z3 = torch.einsum("bd,kd->bk", z2, p["W2"]) + p["b2"]
        y_hat = self.g(z3)
        self.cache.update(x=x, z1=z1, z2=z2, z3=z3, y_hat=y_hat)
        return y_hat

    def backward(self, dJdy_hat):
        c, p = self.cache, self.parameters
        dJdz3 = dJdy_hat * self.dg(c["z3"], c["y_hat"])
        dJdz1 = (dJdz3 @ p["W2"]) * self.df(c["z1"], c["z2"])
        self.grads["dJdW2"] += torch.einsum("bk,bd->kd", dJdz3, c["z2"])
        self.grads["dJdb2"] += dJdz3.sum(0)
        self.grads["dJdW1"] += torch.einsum("bd,bn->dn", dJdz1, c["x"])
        self.grads["dJdb1"] += dJdz1.sum(0)

    def clear_grad_and_cache(self):
        for name in self.grads:
            self.grads[name].zero_()
        self.cache = {}


def mse_loss(y, y_hat):
    J = torch.mean((y_hat - y) ** 2)
    return J, 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = torch.mean(-y * torch.log(y_hat) - (1 - y) * torch.log(1 - y_hat))
    return J, (-y / y_hat + (1 - y) / (1 - y_hat)) / y.numel()
