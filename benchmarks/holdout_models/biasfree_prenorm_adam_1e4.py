"""Pre-norm residual MLP in the modern "no biases anywhere" style: every Linear
has bias=False and every LayerNorm has bias=False (scale only). Trained with a
cautious Adam lr of 1e-4 and no scheduler, so per-step weight changes are small
(~1e-4 relative) while the loss still falls steadily.
Task: 8-way classification of 64-d inputs labelled by a random teacher network.
Measured (seed 0, 20 steps): loss 2.24 -> 1.89
(first-5 mean 2.20, last-5 1.86); grad norms Linear 0.4-1.5, LayerNorm 0.02-0.09,
steady; ||dW||/||W|| ~1e-3 (Linear) and ~5e-5 (LayerNorm); no NaN/Inf.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"]}


class ResidualBlock(nn.Module):
    def __init__(self, dim: int, expansion: int = 4) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, bias=False)
        self.fc_in = nn.Linear(dim, expansion * dim, bias=False)
        self.fc_out = nn.Linear(expansion * dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc_out(nn.functional.gelu(self.fc_in(self.norm(x))))


class BiasFreeMLP(nn.Module):
    def __init__(self, d_in: int = 64, dim: int = 128, depth: int = 3, n_classes: int = 8) -> None:
        super().__init__()
        self.stem = nn.Linear(d_in, dim, bias=False)
        self.blocks = nn.Sequential(*[ResidualBlock(dim) for _ in range(depth)])
        self.final_norm = nn.LayerNorm(dim, bias=False)
        self.head = nn.Linear(dim, n_classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.final_norm(self.blocks(self.stem(x))))


def _dataset(n_batches: int = 30, batch: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(77)
    teacher = torch.randn(64, 8, generator=g)
    x = torch.randn(n_batches * batch, 64, generator=g)
    y = (x @ teacher + 0.5 * torch.randn(len(x), 8, generator=g)).argmax(dim=1)
    return list(zip(x.split(batch), y.split(batch), strict=True))


model = BiasFreeMLP()
data = _dataset()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=1e-4)
