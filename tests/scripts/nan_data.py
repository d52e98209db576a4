"""Tiny regression whose second batch holds a NaN and third an Inf: recorded, not an error."""

import math

import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
_batches = [(torch.randn(16, 4), torch.randn(16, 1)) for _ in range(3)]
_batches[1][0][0, 0] = math.nan
_batches[2][0][1, 1] = math.inf
data = _batches


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05)
