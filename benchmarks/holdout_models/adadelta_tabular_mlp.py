"""Tabular MLP classifier trained with Adadelta (lr=1.0, the textbook default).

Adadelta's first updates are small (its running update average starts at zero),
so per-step weight changes look modest even though the loss falls steadily.
Labels come from a fixed random teacher MLP over 24 standardised features.
Measured (seed 0, 20 steps): loss 1.80 -> 1.10
(first-5 mean 1.76, last-5 1.26); grad norms 0.09-0.39; ||dW||/||W|| 0.016-0.039
per step; no NaN/Inf.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"]}

N_FEATURES, N_CLASSES, BATCH = 24, 6, 128


def _teacher_labels(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    w1 = torch.randn(N_FEATURES, 48, generator=g) / N_FEATURES**0.5
    w2 = torch.randn(48, N_CLASSES, generator=g)
    return (torch.tanh(x @ w1) @ w2).argmax(dim=1)


def _batches(n_batches: int = 40) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(7)
    x = torch.randn(n_batches * BATCH, N_FEATURES, generator=g)
    y = _teacher_labels(x, g)
    return list(zip(x.split(BATCH), y.split(BATCH), strict=True))


model = nn.Sequential(
    nn.Linear(N_FEATURES, 128),
    nn.ReLU(),
    nn.Linear(128, 64),
    nn.ReLU(),
    nn.Linear(64, N_CLASSES),
)
data = _batches


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adadelta(params, lr=1.0, rho=0.9)
