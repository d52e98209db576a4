"""Vanishing gradients: a 12-layer Sigmoid MLP with PyTorch's default init, trained by SGD.

The sigmoid's slope is at most 0.25, and default Linear init (uniform, std = 1/sqrt(3 * fan_in))
gives each 64x64 layer a gain of about 0.58, so every layer shrinks the backward signal by
roughly 7x. Twelve layers in, the first layer's gradient (~4e-10) is about 1e9 times below the
last one's (~0.5); its SGD updates are so small they round away in float32, and the loss barely
moves. The cure is a non-saturating
activation (ReLU/GELU); normalisation or residual connections also help.
"""

from collections.abc import Iterable

import torch
from torch import nn

DEPTH, IN, WIDTH, CLASSES, BATCH = 12, 16, 64, 4, 64

_layers: list[nn.Module] = [nn.Linear(IN, WIDTH), nn.Sigmoid()]
for _ in range(DEPTH - 2):
    _layers += [nn.Linear(WIDTH, WIDTH), nn.Sigmoid()]
_layers.append(nn.Linear(WIDTH, CLASSES))
model = nn.Sequential(*_layers)

_teacher = torch.randn(IN, CLASSES)
_x = torch.randn(8 * BATCH, IN)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.1)


EXPECTED = {
    "verdict": "vanishing",
    "layers": {str(i): "vanishing" for i in range(0, 14, 2)},  # Linear 0-12: >= 1e4 below the last
    "others": ["healthy", "vanishing"],
    "recommend": ["activation"],
}
