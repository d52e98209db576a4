"""Tiny healthy classifier for CLI tests: weights and data depend on the seed gradscope sets."""

import torch
from torch import nn

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
_x = torch.randn(64, 8)
_y = (_x[:, :3]).argmax(dim=1)
data = [(_x[i : i + 16], _y[i : i + 16]) for i in range(0, 64, 16)]


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


if __name__ == "__main__":
    raise SystemExit("tiny_mlp.py: the __main__ block must not run under gradscope")
