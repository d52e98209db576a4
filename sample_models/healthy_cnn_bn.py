"""Healthy baseline: a small CNN with BatchNorm2d classifying 1x16x16 synthetic images.

Each of the 4 classes has a fixed random smooth template; an image is its class template plus
noise, so the task is learnable from local patterns. Conv -> BatchNorm -> ReLU blocks keep the
activations normalised, so gradients reach the first convolution at a healthy size and the loss
falls within 20 steps of default Adam. The BatchNorm layers are ordinary trainable layers and
should be judged healthy too.

``model`` is a zero-argument function and ``data`` a DataLoader, to exercise both forms.
"""

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}

CLASSES, N = 4, 512

_templates = F.avg_pool2d(torch.randn(CLASSES, 1, 20, 20), 5, stride=1)  # smooth 16x16 patterns
_labels = torch.randint(0, CLASSES, (N,))
_images = 2.0 * _templates[_labels] + torch.randn(N, 1, 16, 16)


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, CLASSES),
    )


data = DataLoader(TensorDataset(_images, _labels), batch_size=64, shuffle=False)
