"""Small CNN with GroupNorm, trained with SGD + Nesterov momentum and weight decay.

Synthetic 4-class images: the label is the quadrant holding a faint bright blob
buried in noise. No bias in the convs (GroupNorm follows each one).
Measured (seed 0, 20 steps): loss 1.52 -> 0.0065
(plateau ~1.3 for 7 steps, then falls); grad norms 0.06-1.6 early, 0.002-0.02 at
the end as the loss nears zero; ||dW||/||W|| 0.002-0.09; no NaN/Inf.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"]}


def _blob_images(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 4, (n,), generator=g)
    x = torch.randn(n, 3, 16, 16, generator=g)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    for i in range(n):
        cy = 4.0 + 8.0 * (y[i] // 2) + torch.randn(1, generator=g)
        cx = 4.0 + 8.0 * (y[i] % 2) + torch.randn(1, generator=g)
        x[i] += 1.0 * torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 5.0)
    return x, y


class QuadrantNet(nn.Module):
    def __init__(self, n_classes: int = 4) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False),
            nn.GroupNorm(4, 16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 24, 3, padding=1, bias=False),
            nn.GroupNorm(6, 24),
            nn.ReLU(inplace=True),
            nn.Conv2d(24, 24, 3, padding=1, bias=False),
            nn.GroupNorm(6, 24),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(2),
        )
        self.classifier = nn.Linear(24 * 4, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def _make_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(123)
    x, y = _blob_images(64 * 30, g)
    return list(zip(x.split(64), y.split(64), strict=True))


model = QuadrantNet()
data = _make_data()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
