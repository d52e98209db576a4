"""Adadelta at lr 1.0 (its standard setting) on a ReLU MLP: large steps, steady progress -- healthy.

Model: plain PyTorch, Linear(20, 128) -> ReLU -> Linear(128, 128) -> ReLU -> Linear(128, 5).
Data: 512 Gaussian points, label = argmax of a fixed random linear map, 8 batches of 64.
Optimizer: Adadelta(lr=1.0) -- the default, and what pytorch/examples' MNIST script uses.

Why "healthy": Adadelta's steps are sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g, so every weight
moves by ~3e-3 per step from the start and the per-step update ratio ||dW||/||W|| is 0.01-0.06 in
every layer (median layer ~0.03) -- large by the usual 1e-3 rule of thumb, but right for this
optimizer: the loss falls steadily from 1.66 (ln 5 = 1.61) to 1.24 by step 9 and 0.25 by step 39,
no spike, gradient norm steady at 0.46-0.85, no dead units. Nothing to fix.

Plain loop: `python benchmarks/holdout_models_3/b07_adadelta_lr1_mlp_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm     update ratio, median layer  (all layers)
     10  1.66 / 1.66 (step 0) / 1.24 / 1.24    0.462..0.595  0.0276..0.0316              (0.0106..0.05)
     20  1.66 / 1.66 (step 0) / 0.822 / 0.822  0.462..0.759  0.027..0.0365               (0.0106..0.0568)
     30  1.66 / 1.66 (step 0) / 0.43 / 0.492   0.462..0.842  0.0268..0.0378              (0.0106..0.0568)
     40  1.66 / 1.66 (step 0) / 0.23 / 0.247   0.462..0.846  0.0222..0.0378              (0.0106..0.0568)
"""

import sys
from pathlib import Path

import torch
from torch import nn

_g = torch.Generator().manual_seed(1)
_x = torch.randn(512, 20, generator=_g)
_y = (_x @ torch.randn(20, 5, generator=_g)).argmax(1)
data = list(zip(_x.split(64), _y.split(64), strict=True))

torch.manual_seed(1)
model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 5))


def optimizer(params):
    return torch.optim.Adadelta(params, lr=1.0)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__], dead_layers=("0", "2"))
