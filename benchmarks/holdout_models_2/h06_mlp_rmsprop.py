"""Healthy: ReLU MLP regressor trained with RMSprop(lr=1e-3), the classic Keras default.

RMSprop's square-average starts at zero (alpha=0.99), so its first steps are ~10x lr per
element; the loss still falls smoothly and no ReLU layer dies. Target: a fixed random
two-layer teacher plus noise, float targets of shape (B, 2) -> default MSE.

Measured (plain loop, 20 steps): loss 1.054 -> 0.103 (first3 0.90, last3 0.11), one early bump
(0.74 -> 1.04 at step 3) from the large first RMSprop steps. Mean grad norm / ||dW||/||W||:
layer 0 0.29 / 0.30, 2 0.46 / 0.39, 4 0.50 / 0.40, 6 0.90 / 0.31. Units with zero output on the
whole last batch: ReLU 1 0%, ReLU 3 2%, ReLU 5 16%.
"""

from collections.abc import Iterable

import torch
from torch import nn

_g = torch.Generator().manual_seed(6)
_D_IN, _D_OUT = 32, 2

model = nn.Sequential(
    nn.Linear(_D_IN, 128),
    nn.ReLU(),
    nn.Linear(128, 128),
    nn.ReLU(),
    nn.Linear(128, 64),
    nn.ReLU(),
    nn.Linear(64, _D_OUT),
)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    w1, w2 = torch.randn(_D_IN, 16, generator=_g) / _D_IN**0.5, torch.randn(16, _D_OUT, generator=_g)
    x = torch.randn(n_batches * bs, _D_IN, generator=_g)
    y = torch.tanh(x @ w1) @ w2 + 0.05 * torch.randn(n_batches * bs, _D_OUT, generator=_g)
    y = (y - y.mean(0)) / y.std(0)  # standardised targets
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=1e-3)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {"0": "healthy", "2": "healthy", "4": "healthy", "6": "healthy"},
    "others": ["healthy"],
}
