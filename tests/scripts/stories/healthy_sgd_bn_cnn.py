"""Healthy control for swing_sgd_bn_cnn.py: the same BatchNorm CNN at SGD lr=0.1 (momentum 0.9).

Same architecture, optimizer class and data generator as the swinging script; the blob is
clearer (height 1.0 instead of 0.3) and the seeds differ (weights 0, data 1), so that the run
converges visibly within 10 steps. The loss falls with ordinary minibatch noise:
  1.184 1.101 1.126 1.075 1.096 1.057 1.075 1.032 0.982 0.939 | ... 0.732 (step 19) ... 0.532
  (step 29) ... 0.509 (step 39), lowest 0.389 (step 36)
  N=10: start 1.184, max 1.184 (step 0), end 0.939
  N=20: end 0.732;  N=30: end 0.532;  N=40: end 0.509 (min 0.389)
Total gradient norm 0.36-1.03 (1.03 at step 32), median update ratio 0.012-0.038.

Measured with torch 2.13 CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

CLASSES, BATCH, BATCHES, SIDE = 3, 30, 8, 8


def _cnn() -> nn.Module:
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


def _blobs(seed: int, signal: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Noise images; class c has a faint 3x3 blob of height `signal` somewhere in channel c."""
    gen = torch.Generator().manual_seed(seed)
    n = BATCHES * BATCH
    labels = (torch.arange(n) % CLASSES)[torch.randperm(n, generator=gen)]  # 10 of each class per batch
    images = torch.randn(n, 3, SIDE, SIDE, generator=gen)
    for i in range(n):
        row, col = torch.randint(0, SIDE - 2, (2,), generator=gen).tolist()
        images[i, labels[i], row : row + 3, col : col + 3] += signal
    return list(zip(images.split(BATCH), labels.split(BATCH), strict=True))


torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = _cnn()
data = _blobs(1, signal=1.0)


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
