"""Regression model that is already trained: model() pretrains it for 800 Adam
steps on noisy teacher data (noise std 0.1, so the loss floor is ~0.01), then
freezes the first layer, as when fine-tuning only the upper layers.

The gradscope run continues with SGD(lr 0.01, momentum 0.9) on the same data
distribution: loss sits at its floor, gradients are tiny, weights barely move,
and that is correct, not a stall.
Measured (seed 0, 20 steps): loss 0.0104 ->
0.0116, flat at the noise floor (0.01; range 0.009-0.013); grad norms 0.016 and
0.04; ||dW||/||W|| 3e-5 (layer 2) and 7e-4 (layer 4); layer 0 frozen, no grad.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {"0": "frozen"}, "others": ["healthy"]}

D_IN, NOISE = 8, 0.1


def _sample(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, D_IN, generator=g) * 2 - 1
    clean = torch.sin(2.0 * x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3] - 0.3 * x[:, 3:4]
    return x, clean + NOISE * torch.randn(n, 1, generator=g)


def model() -> nn.Module:
    net = nn.Sequential(nn.Linear(D_IN, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
    g = torch.Generator().manual_seed(5)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=800)
    for _ in range(800):
        x, y = _sample(256, g)
        opt.zero_grad()
        F.mse_loss(net(x), y).backward()
        opt.step()
        sched.step()
    net.zero_grad(set_to_none=True)
    net[0].requires_grad_(False)
    return net


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(6)
    return [_sample(128, g) for _ in range(30)]


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)
