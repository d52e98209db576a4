"""An MLP in 16-mixed whose inputs are at int16 scale: the first layer overflows float16 under
autocast, every gradient is inf/NaN, GradScaler skips every step and halves its scale."""

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(128, 16) * 30000.0
y = (x[:, 0] > 0).long()
data = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 128, 32)]
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 2))
precision = "16-mixed"
