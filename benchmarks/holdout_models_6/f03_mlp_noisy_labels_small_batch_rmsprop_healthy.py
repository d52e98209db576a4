"""Noisy small-batch classification (40% label noise, batch 8), RMSprop lr=1e-3 -- healthy (noisy, slow, right rate).

Model (torch.nn, 21,252 params): Linear(32,128)-ReLU-Linear(128,128)-ReLU-Linear(128,4), default init, trained
from scratch. Data: 200 batches of 8 rows; the clean label is the argmax of a fixed random linear map of the 32
features, and 40% of labels are replaced by a uniformly random class (best reachable loss ~0.94; chance 1.386).
Cross-entropy (integer targets). Optimizer: RMSprop(lr=1e-3).

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f03_mlp_noisy_labels_small_batch_rmsprop_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps (single 8-row batches: the per-step loss swings 1.1-1.6):
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  0.0001 (x0.1)          10  1.35 / 1.35 / 1.38  (1.39)   0.833..1.14       0.00587..0.0178
                         20  1.35 / 1.35 / 1.41  (1.37)   0.701..1.14       0.00402..0.0178
                         30  1.35 / 1.31 / 1.44  (1.4)   0.701..1.14       0.00332..0.0178
                         40  1.35 / 1.31 / 1.36  (1.39)   0.701..1.28       0.00304..0.0178
  0.001 (x1)             10  1.35 / 1.29 / 1.29  (1.33)   0.926..1.28       0.046..0.178
                         20  1.35 / 1.21 / 1.64  (1.36)   0.778..1.35       0.0355..0.178
                         30  1.35 / 1.19 / 1.4  (1.32)   0.778..1.39       0.0294..0.178
                         40  1.35 / 1.13 / 1.39  (1.36)   0.778..1.82       0.0259..0.178
  0.01 (x10)             10  1.35 / 1.19 / 1.25  (1.53)   1.14..22.8        0.0577..1.78
                         20  1.35 / 1.19 / 1.51  (1.45)   0.982..22.8       0.0308..1.78
                         30  1.35 / 1.19 / 1.39  (1.38)   0.982..22.8       0.0308..1.78
                         40  1.35 / 1.19 / 1.34  (1.4)   0.642..22.8       0.0213..1.78
  0.03 (x30)             10  1.35 / 1.35 / 2.66  (10.6)   1.14..146         0.0594..5.35
                         20  1.35 / 1.01 / 2.45  (2.6)   1.14..146         0.0251..5.35
                         30  1.35 / 1.01 / 1.78  (1.65)   0.629..146        0.00547..5.35
                         40  1.35 / 1.01 / 1.35  (1.54)   0.303..146        0.00271..5.35

Held-out loss of the same runs (4,000 fresh rows, measured separately) at 0 / 10 / 20 / 40 steps:
  x0.1: 1.393 1.382 1.379 1.376    x1: 1.393 1.347 1.326 1.302    x10: 1.393 1.438 1.394 1.355
  x30:  1.393 4.055 2.319 3.384    (mean train loss over steps 30-39: x0.1 1.371, x1 1.344, x10 1.388, x30 1.476)
A 3-seed scan (data order shifted) agrees: 1e-3 and 3e-3 are the best RMSprop rates at 20-40 steps.

Why "healthy": the training loss looks flat (mean of the last 5 at 1.33-1.36) only because every step sees 8
noisy rows; the model is learning at a sensible pace (held-out 1.393 -> 1.326 at 20 steps -> 1.302 at 40).
A 10x larger rate is worse, not better (train mean 1.45 at 20 steps, held-out 1.394, grad norm spikes to 23 in
its first steps), 30x blows up (grad norm 146, loss 10.6 mean at 10 steps). 0.1x barely moves (held-out
1.379 at 20). The slow, noisy loss comes from the data, not from a too-low rate.
"""

import sys
from pathlib import Path

import torch
from torch import nn

LR = 1e-3
FLIP = 0.4  # share of labels replaced by a uniformly random class
BATCH = 8

_g = torch.Generator().manual_seed(0)
_w = torch.randn(32, 4, generator=_g)


def _batch(g: torch.Generator):
    x = torch.randn(BATCH, 32, generator=g)
    y = (x @ _w).argmax(1)
    flip = torch.rand(BATCH, generator=g) < FLIP
    return x, torch.where(flip, torch.randint(0, 4, (BATCH,), generator=g), y)


_gd = torch.Generator().manual_seed(1)
data = [_batch(_gd) for _ in range(200)]

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4))


def optimizer(params):
    return torch.optim.RMSprop(params, lr=LR)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
