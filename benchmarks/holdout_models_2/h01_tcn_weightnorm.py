"""Healthy: dilated 1D-conv temporal classifier with weight-norm parametrized convs.

weight_norm (torch.nn.utils.parametrizations) moves each conv's weight into
`<conv>.parametrizations.weight` (original0 = g, original1 = v); the conv keeps its bias.
Labels come from a fixed random temporal teacher, so the task is learnable.

Measured (plain loop, 20 steps, Adam 3e-3): loss 1.125 -> 0.803 (mean of first 3 steps
1.107, last 3 0.863); mean grad norm conv1.parametrizations.weight 9.6e-2, conv3.* 6.8e-2,
head 0.19; ||dW||/||W|| 0.26-0.43 for the weight-norm params, 0.37 for head; no NaN/Inf.
"""

from collections.abc import Iterable

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

_g = torch.Generator().manual_seed(1)
_C_IN, _T, _CLASSES = 4, 64, 3


class TCN(nn.Module):
    def __init__(self, c_in: int = _C_IN, hidden: int = 32, classes: int = _CLASSES) -> None:
        super().__init__()
        self.conv1 = weight_norm(nn.Conv1d(c_in, hidden, 5, padding=2))
        self.conv2 = weight_norm(nn.Conv1d(hidden, hidden, 3, padding=2, dilation=2))
        self.conv3 = weight_norm(nn.Conv1d(hidden, hidden, 3, padding=4, dilation=4))
        self.act = nn.GELU()
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv1(x))
        h = h + self.act(self.conv2(h))
        h = h + self.act(self.conv3(h))
        return self.head(h.mean(dim=-1))


def _make_data(n_batches: int = 6, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    kernel = torch.randn(_CLASSES, _C_IN, 7, generator=_g)
    x = torch.randn(n_batches * bs, _C_IN, _T, generator=_g)
    scores = torch.nn.functional.conv1d(x, kernel, padding=3).relu().mean(dim=-1)
    y = (scores - scores.mean(0)).argmax(dim=1)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = TCN()
data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-3)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {
        "conv1.parametrizations.weight": "healthy",
        "conv3.parametrizations.weight": "healthy",
        "head": "healthy",
    },
    "others": ["healthy"],
}
