"""A layer left out of the optimizer: the head gets gradients but is never updated.

``optimizer`` ignores the parameters it is given and builds Adam from ``model.body`` only,
forgetting ``model.head`` (a common slip when a head is added later or param groups are listed
by hand). The head still receives a gradient on every backward pass, but no optimizer holds
it, so its weights never change: gradscope should mark it "not_optimized" (not "unused": it
does get a gradient). Note that ``optimizer.zero_grad()`` never clears the head's .grad either,
so a runner that zeroes gradients only through the optimizer sees it accumulate step after step.

Verdict: healthy. The loss still falls, because the body is trained: the untrained head
(4 x 64, full rank) is a fixed linear read-out, and the 64-wide body learns features that this
read-out maps onto the regression targets (a fixed random teacher of the inputs). The missing
layer is a finding about the optimizer set-up, not a gradient-health failure of the run.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, HIDDEN, OUT, BATCH = 16, 64, 4, 64


class Regressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.head = nn.Linear(HIDDEN, OUT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


model = Regressor()
_teacher = nn.Sequential(nn.Linear(IN, 32), nn.Tanh(), nn.Linear(32, OUT))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN)
    with torch.no_grad():
        return x, _teacher(x)


data = [_batch() for _ in range(8)]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.body.parameters(), lr=1e-3)  # bug: model.head is missing


EXPECTED = {
    "verdict": "healthy",
    "layers": {"head": "not_optimized", "body.0": "healthy", "body.2": "healthy"},
    "others": [],
    "recommend": [],
}
