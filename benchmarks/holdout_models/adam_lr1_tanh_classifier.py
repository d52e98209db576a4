"""Tanh MLP classifier trained with Adam at lr=1.0: a typo (`lr=1.` for 1e-3)
that nobody caught. Adam's normalised steps move every weight by ~1 per step,
over 10x the scale of the initial weights, so the network keeps flipping to
confidently-wrong predictions and the cross-entropy swings far above chance.
Tanh keeps activations bounded, so every gradient stays finite and moderate.
5 classes from a fixed random teacher over 16 Gaussian features.
Measured (seed 0, 20 steps): loss 1.59 -> 9.0 -> 20.0
after two steps, then swings 7-19 (last-5 mean 13.1, chance is 1.61); grad norms
finite, median 1.4-6.8, max 9.3; ||dW||/||W|| median 0.1, up to 17 in one step.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"]}


def make_model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 96),
        nn.Tanh(),
        nn.Linear(96, 96),
        nn.Tanh(),
        nn.Linear(96, 5),
    )


def make_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    w1, w2 = torch.randn(16, 32, generator=g) / 4, torch.randn(32, 5, generator=g)
    batches = []
    for _ in range(30):
        x = torch.randn(64, 16, generator=g)
        batches.append((x, (torch.tanh(x @ w1) @ w2).argmax(dim=1)))
    return batches


model = make_model
data = make_data


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1.0)
