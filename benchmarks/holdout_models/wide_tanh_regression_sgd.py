"""Wide, shallow tanh regressor (one hidden layer of 512) fitted with plain SGD,
lr 0.05, no momentum: the random-features regime where the hidden layer moves
very little relative to its size while the readout does most of the learning.
Target: a smooth 2-output function of 10 inputs from a fixed random teacher.
Float targets, so gradscope's default MSE loss applies (no `loss` given).
Measured (seed 0, 20 steps): loss 0.66 -> 0.34
(most of the drop in 5 steps, then batch noise 0.23-0.48); grad norms hidden
0.16-0.41, readout 1.1-3.0; ||dW||/||W|| hidden 6e-4, readout 0.07; lr 0.2 diverges,
so 0.05 is 4x below the edge; no NaN/Inf.
"""

from __future__ import annotations

import math

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"]}


class WideTanh(nn.Module):
    def __init__(self, d_in: int = 10, width: int = 512, d_out: int = 2) -> None:
        super().__init__()
        self.hidden = nn.Linear(d_in, width)
        self.readout = nn.Linear(width, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(torch.tanh(self.hidden(x)))


def _teacher(x: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(314)
    a = torch.randn(x.shape[1], 2, generator=g) / math.sqrt(x.shape[1])
    b = torch.randn(x.shape[1], 2, generator=g) / math.sqrt(x.shape[1])
    return torch.sin(1.5 * x @ a) + 0.5 * torch.cos(x @ b)


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(2718)
    xs = [torch.randn(96, 10, generator=g) for _ in range(25)]
    return [(x, _teacher(x)) for x in xs]


model = WideTanh()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.05)
