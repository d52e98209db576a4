"""SGD lr 0.05, momentum 0.9 on a ReLU MLP regressor (full batch): updates of ~10% per step, loss falling -- healthy.

Model: plain PyTorch, Linear(8, 64) -> ReLU -> Linear(64, 64) -> ReLU -> Linear(64, 1).
Data: one full batch of 512 Gaussian points, target sin(2 x0) + tanh(x1 x2) + 0.5 x3 (float
targets, default MSE). Optimizer: SGD(lr=0.05, momentum=0.9).

Why "healthy": the momentum buffer makes the steps big -- the largest per-layer update ratio
||dW||/||W|| is 0.07-0.14 per step over the first ten steps (median layer ~0.01-0.02) -- but they are
right: the loss falls almost monotonically from 1.02 to 0.64 by step 9 and 0.28 by step 39 (tiny
momentum wiggles, e.g. 0.584 -> 0.608, never near the start), gradient norm 0.23-1.2, no dead
units. Nothing to fix.

Plain loop: `python benchmarks/holdout_models_3/b10_sgd_momentum_regression_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm   update ratio, median layer  (all layers)
     10  1.02 / 1.02 (step 0) / 0.636 / 0.636  0.412..1.2  0.00741..0.0205             (0.00218..0.139)
     20  1.02 / 1.02 (step 0) / 0.472 / 0.474  0.412..1.2  0.00741..0.0205             (0.00218..0.139)
     30  1.02 / 1.02 (step 0) / 0.343 / 0.343  0.365..1.2  0.00741..0.0205             (0.00218..0.139)
     40  1.02 / 1.02 (step 0) / 0.277 / 0.277  0.23..1.2   0.00741..0.0205             (0.00218..0.139)
"""

import sys
from pathlib import Path

import torch
from torch import nn

_g = torch.Generator().manual_seed(4)
_x = torch.randn(512, 8, generator=_g)
_y = torch.sin(2 * _x[:, :1]) + torch.tanh(_x[:, 1:2] * _x[:, 2:3]) + 0.5 * _x[:, 3:4]
data = [(_x, _y)]

torch.manual_seed(4)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__], dead_layers=("0", "2"))
