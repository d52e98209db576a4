"""A reasonable BatchNorm CNN whose SGD learning rate was set to 1e-7 (the value
was meant for a fine-tuning stage on a 100x larger loss scale). Gradients are
perfectly ordinary, but each step moves the weights by ~1e-8 of their norm, so
over 20 steps nothing measurable happens to the loss.
Task: 4-class colour-dominance images (which RGB channel / none is brightest).
Measured (seed 0, 20 steps): batch loss 1.41 -> 1.37
(noise: mean over all 25 batches 1.37396 before vs 1.37395 after); grad norms
0.03-0.8, ordinary; ||dW||/||W|| 4e-9 to 3e-7 per step. The same model at
lr 0.05 reaches 0.19 in 20 steps.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "stalled", "layers": {}, "others": ["healthy"]}


class ColourNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean(dim=(2, 3)))


def _images() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(21)
    out = []
    for _ in range(25):
        y = torch.randint(0, 4, (64,), generator=g)
        x = torch.randn(64, 3, 16, 16, generator=g)
        boost = torch.zeros(64, 4)
        boost[torch.arange(64), y] = 0.8
        x += boost[:, :3, None, None]
        out.append((x, y))
    return out


model = ColourNet()
data = _images()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=1e-7, momentum=0.9)
