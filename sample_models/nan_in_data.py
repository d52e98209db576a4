"""Non-finite values in the data: a healthy MLP fed a batch whose inputs contain NaN.

The model, init and optimizer (default Adam) are all fine, and the first batches train
normally. But a few feature values of the fourth batch are NaN (a missing-value marker that
was never imputed). One NaN input makes that sample's output NaN, the mean loss NaN, and every
gradient NaN; Adam then writes NaN into every weight, and from that step on all outputs, losses
and gradients are NaN. gradscope should report the run as nonfinite and every layer as
nonfinite (their gradients and weights contain NaN), whatever else it measured before.
"""

from collections.abc import Iterator

import torch
from torch import nn

IN, HIDDEN, CLASSES, BATCH = 16, 64, 3, 64

model = nn.Sequential(
    nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES)
)
_teacher = torch.randn(IN, CLASSES)
_x = torch.randn(8 * BATCH, IN)
_y = (_x @ _teacher).argmax(dim=1)
_x[3 * BATCH + 5, 2] = float("nan")  # fourth batch (index 3): two bad rows
_x[3 * BATCH + 40, 7] = float("nan")


def data() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    yield from zip(_x.split(BATCH), _y.split(BATCH), strict=True)


EXPECTED = {
    "verdict": "nonfinite",
    "layers": {"0": "nonfinite", "2": "nonfinite", "4": "nonfinite"},
    "others": [],
    "recommend": [],
}
