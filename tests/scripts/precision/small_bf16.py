"""A small bfloat16 MLP with a LayerNorm, trained at Adam 3e-3: its steps are far above the bf16
spacing of its weights (only the norm gain at 1.0 is too coarse to move up), so nothing is lost
that matters."""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(256, 32)
y = (x[:, :4].sum(1) > 0).long() + 2 * (x[:, 4:8].sum(1) > 0).long()
data = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 256, 32)]
model = nn.Sequential(nn.Linear(32, 64), nn.LayerNorm(64), nn.ReLU(), nn.Linear(64, 4)).to(torch.bfloat16)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
