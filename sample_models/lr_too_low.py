"""Learning rate far too low: a healthy ReLU MLP trained with plain SGD at lr=1e-5.

Gradients are perfectly normal (norm ~0.1-1 in every layer), but each step moves the weights
by a few millionths of their size or less (update ratio ~2e-7 to 4e-6), so after 20 steps the
network is essentially where it started and the loss does not fall, although the same model
learns these teacher-generated labels at lr 0.5 (loss 1.39 -> 0.51 in 20 steps). Nothing
vanishes or explodes; training simply stalls. The fix is a larger learning rate.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, HIDDEN, CLASSES, BATCH = 32, 128, 4, 64

model = nn.Sequential(
    nn.Linear(IN, HIDDEN),
    nn.ReLU(),
    nn.Linear(HIDDEN, HIDDEN),
    nn.ReLU(),
    nn.Linear(HIDDEN, CLASSES),
)
_teacher = torch.randn(IN, CLASSES)


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    x = torch.randn(4 * BATCH, IN)
    return list(zip(x.split(BATCH), (x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=1e-5)


EXPECTED = {"verdict": "stalled", "layers": {}, "others": ["healthy"], "recommend": ["learning_rate"]}
