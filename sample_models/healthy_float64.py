"""Healthy float64 training: model and data in double precision, default Adam.

Scientific and physics codes often train in float64. The model is converted with
``.double()`` and the inputs and regression targets (a fixed random tanh teacher) are float64
too. Nothing about gradient health changes with the dtype, so gradscope should treat it like
any healthy run: its thresholds, norms and NaN checks must not assume float32, and it must not
feed float32 tensors into the model. The MSE loss falls steadily within 20 steps.
"""

import torch
from torch import nn

IN, HIDDEN, OUT, BATCH = 12, 64, 3, 64

model = nn.Sequential(
    nn.Linear(IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT)
).double()

_teacher = nn.Sequential(nn.Linear(IN, 32), nn.Tanh(), nn.Linear(32, OUT)).double()


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN, dtype=torch.float64)
    with torch.no_grad():
        return x, _teacher(x)


data = [_batch() for _ in range(8)]

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
