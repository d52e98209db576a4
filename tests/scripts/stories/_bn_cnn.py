"""The small BatchNorm CNN and blob images shared by healthy_sgd_bn_cnn.py and swing_sgd_bn_cnn.py.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from torch import nn

CLASSES, BATCH, BATCHES, SIDE = 3, 30, 8, 8


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, stride=2),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, CLASSES),
    )


def blobs(seed: int, signal: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Noise images; class c has a faint 3x3 blob of height `signal` somewhere in channel c."""
    gen = torch.Generator().manual_seed(seed)
    n = BATCHES * BATCH
    labels = (torch.arange(n) % CLASSES)[torch.randperm(n, generator=gen)]  # 10 of each class per batch
    images = torch.randn(n, 3, SIDE, SIDE, generator=gen)
    for i in range(n):
        row, col = torch.randint(0, SIDE - 2, (2,), generator=gen).tolist()
        images[i, labels[i], row : row + 3, col : col + 3] += signal
    return list(zip(images.split(BATCH), labels.split(BATCH), strict=True))
