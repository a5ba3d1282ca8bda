"""mlp.py with a mistake: dJdy_hat of the MSE without its 1/K (the mean over the batch of the sum
over the outputs)."""

import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.parameters = dict(
            W1=torch.randn(linear_1_out_features, linear_1_in_features),
            b1=torch.randn(linear_1_out_features),
            W2=torch.randn(linear_2_out_features, linear_2_in_features),
            b2=torch.randn(linear_2_out_features),
        )
        self.grads = dict(
            dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1=torch.zeros(linear_1_out_features),
            dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2=torch.zeros(linear_2_out_features),
        )
        self.cache = dict()

    def forward(self, x):
        """x: (batch_size, linear_1_in_features) -> y_hat: (batch_size, linear_2_out_features)"""
        W1, b1 = self.parameters["W1"], self.parameters["b1"]
        W2, b2 = self.parameters["W2"], self.parameters["b2"]
        z1 = x @ W1.T + b1
        if self.f_function == "relu":
            z2 = torch.relu(z1)
        elif self.f_function == "sigmoid":
            z2 = torch.sigmoid(z1)
        elif self.f_function == "identity":
            z2 = z1
        z3 = z2 @ W2.T + b2
        if self.g_function == "relu":
            y_hat = torch.relu(z3)
        elif self.g_function == "sigmoid":
            y_hat = torch.sigmoid(z3)
        elif self.g_function == "identity":
            y_hat = z3
        self.cache = dict(x=x, z1=z1, z2=z2, z3=z3, y_hat=y_hat)
        return y_hat

    def backward(self, dJdy_hat):
        """dJdy_hat: (batch_size, linear_2_out_features); fills self.grads"""
        x, z1, z2, z3 = self.cache["x"], self.cache["z1"], self.cache["z2"], self.cache["z3"]
        W2 = self.parameters["W2"]
        # dy_hat/dz3 = g'(z3), entrywise
        if self.g_function == "relu":
            dJdz3 = dJdy_hat * (z3 > 0)
        elif self.g_function == "sigmoid":
            y_hat = self.cache["y_hat"]
            dJdz3 = dJdy_hat * y_hat * (1 - y_hat)
        else:
            dJdz3 = dJdy_hat
        self.grads["dJdW2"] = dJdz3.T @ z2          # (K, d)
        self.grads["dJdb2"] = dJdz3.sum(dim=0)      # (K,)
        dJdz2 = dJdz3 @ W2                          # (B, d)
        # dz2/dz1 = f'(z1), entrywise
        if self.f_function == "relu":
            dJdz1 = dJdz2 * (z1 > 0)
        elif self.f_function == "sigmoid":
            dJdz1 = dJdz2 * z2 * (1 - z2)
        else:
            dJdz1 = dJdz2
        self.grads["dJdW1"] = dJdz1.T @ x           # (d, n)
        self.grads["dJdb1"] = dJdz1.sum(dim=0)      # (d,)

    def clear_grad_and_cache(self):
        for grad in self.grads.values():
            grad.zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    """J: the mean of (y_hat - y)^2 over all entries; dJdy_hat: (batch_size, linear_2_out_features)"""
    B, K = y.shape
    J = ((y_hat - y) ** 2).sum(dim=1).mean()
    dJdy_hat = 2 * (y_hat - y) / B
    return J, dJdy_hat


def bce_loss(y, y_hat):
    """J: the mean binary cross-entropy over all entries; dJdy_hat: (batch_size, linear_2_out_features)"""
    B, K = y.shape
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / (B * K)
    return J, dJdy_hat
