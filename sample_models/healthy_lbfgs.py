"""Healthy full-batch regression with torch.optim.LBFGS, which needs a closure.

A small Tanh MLP fits a fixed random teacher function (a wider tanh net with large weights,
so the fit takes many steps) plus noise, on one full batch of 256 samples reused at every
step. LBFGS re-evaluates the loss several times per step, so the runner must call
``optimizer.step(closure)``. With 3 inner iterations per step and a strong-Wolfe line search
the loss falls steadily (about 1.5 -> 0.04). Gradients shrink as the fit improves, which is
convergence, not vanishing; update ratios are larger than Adam's (up to ~0.5 in the first
steps), as quasi-Newton steps are, while the loss never goes up: this is not instability.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, HIDDEN, OUT, N = 8, 32, 2, 256

model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT))

_teacher = nn.Sequential(nn.Linear(IN, 64), nn.Tanh(), nn.Linear(64, OUT))
_x = torch.randn(N, IN)
with torch.no_grad():
    for _p in _teacher.parameters():
        _p.mul_(3.0)
    _y = _teacher(_x) + 0.1 * torch.randn(N, OUT)
data = [(_x, _y)]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.LBFGS(params, lr=1.0, max_iter=3, history_size=10, line_search_fn="strong_wolfe")


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
