"""Pathological (stalled): GELU MLP classifier with RMSprop(lr=1e-7).

Everything about the model is fine (sane init, finite well-scaled gradients); the learning
rate is ~4 orders of magnitude too small. Even with RMSprop's ~10x boost on the first steps
each weight moves <=1e-6 per step, so ||dW||/||W|| stays ~1e-4 over 20 steps and the loss is flat.

Measured (plain loop, 20 steps): loss 1.804 -> 1.782 (first3 1.804, last3 1.797; only batch
noise). Mean grad norm 0.08 / 0.17 / 0.22 for layers 0 / 2 / 4 (healthy sizes), but
||dW||/||W|| is 4.2e-5 / 8.7e-5 / 8.6e-5 after 20 steps. With lr=1e-3 the same script goes
1.80 -> 0.48.
"""

from collections.abc import Iterable

import torch
from torch import nn

_g = torch.Generator().manual_seed(14)
_D, _CLASSES = 32, 6

model = nn.Sequential(
    nn.Linear(_D, 128),
    nn.GELU(),
    nn.Linear(128, 128),
    nn.GELU(),
    nn.Linear(128, _CLASSES),
)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    w = torch.randn(_D, _CLASSES, generator=_g)
    x = torch.randn(n_batches * bs, _D, generator=_g)
    y = (x @ w).argmax(dim=1)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=1e-7)


EXPECTED: dict[str, object] = {
    "verdict": "stalled",
    "layers": {"0": "healthy", "2": "healthy", "4": "healthy"},
    "others": ["healthy"],
}
