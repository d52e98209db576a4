"""A model whose every step takes about 0.3 s (or $SLOW_STEP_S): time to send a signal mid-run."""

import os
import time

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
_x = torch.randn(64, 8)
_y = (_x[:, 0] > 0).long()
data = [(_x, _y)]


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    time.sleep(float(os.environ.get("SLOW_STEP_S", "0.3")))
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)
