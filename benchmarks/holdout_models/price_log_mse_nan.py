"""Price regression with a hand-written "log-space MSE" (MSLE-style) loss:
loss = mean((log(pred) - log(price))**2). The network's output layer is linear,
with no softplus/exp, so some initial predictions (~8% of a batch) are negative
and log(pred) is NaN for them. Because the backward of the square reuses the NaN residual,
the gradients are NaN too, the first optimizer step writes NaN into every
weight, and the run never recovers.
Targets: positive "prices" = exp(linear teacher of 12 features).
Measured (seed 0, 20 steps): loss NaN at every
step; NaN in every gradient from step 1 (all 3,025 parameter grads), NaN weights
from step 2 on.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {
    "verdict": "nonfinite",
    "layers": {"body.0": "nonfinite", "body.2": "nonfinite", "price": "nonfinite"},
    "others": ["nonfinite"],
}


class PriceNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(12, 48), nn.SiLU(), nn.Linear(48, 48), nn.SiLU())
        self.price = nn.Linear(48, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.price(self.body(features)).squeeze(-1)  # BUG: no softplus()/exp()


def loss(pred: torch.Tensor, price: torch.Tensor) -> torch.Tensor:
    return ((torch.log(pred) - torch.log(price)) ** 2).mean()


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(12)
    beta = 0.3 * torch.randn(12, generator=g)
    batches = []
    for _ in range(24):
        x = torch.randn(80, 12, generator=g)
        batches.append((x, torch.exp(1.0 + x @ beta + 0.1 * torch.randn(80, generator=g))))
    return batches


model = PriceNet()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=1e-3)
