"""MLP regressor pre-trained to its noise floor, then Adam lr=1e-3 -- healthy (converged: nothing left to gain).

Model (torch.nn, 4,801 params): Linear(8,64)-GELU-Linear(64,64)-GELU-Linear(64,1). Data: y = a fixed random tanh
"teacher" of x (8 features) + Gaussian noise of std 0.5, so the best reachable MSE is 0.25. At import the model
is pre-trained for 500 steps (AdamW 3e-3, 50 batches of 256) to a held-out MSE of 0.268 (8,192 fresh rows); the
exposed `data` are 40 FRESH batches of 256 rows (no batch repeats within 40 steps). Loss: MSE (float targets).
Optimizer: Adam(lr=1e-3).

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f02_mlp_regression_near_noise_floor_adam_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps (each batch is new, so the loss varies by ~0.03 around 0.25):
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  0.0001 (x0.1)          10  0.272 / 0.212 / 0.212  (0.253)   0.141..0.287      0.000403..0.000907
                         20  0.272 / 0.212 / 0.284  (0.262)   0.137..0.287      0.000299..0.000907
                         30  0.272 / 0.212 / 0.276  (0.257)   0.137..0.287      0.000249..0.000907
                         40  0.272 / 0.212 / 0.249  (0.26)   0.137..0.287      0.000249..0.000907
  0.001 (x1)             10  0.272 / 0.215 / 0.215  (0.252)   0.141..0.249      0.00287..0.00907
                         20  0.272 / 0.215 / 0.28  (0.26)   0.121..0.249      0.00213..0.00907
                         30  0.272 / 0.211 / 0.278  (0.257)   0.121..0.283      0.00175..0.00907
                         40  0.272 / 0.211 / 0.245  (0.26)   0.121..0.283      0.00125..0.00907
  0.01 (x10)             10  0.272 / 0.236 / 0.236  (0.271)   0.141..0.337      0.0247..0.0907
                         20  0.272 / 0.236 / 0.285  (0.271)   0.141..0.337      0.0178..0.0907
                         30  0.272 / 0.215 / 0.287  (0.268)   0.141..0.413      0.0153..0.0907
                         40  0.272 / 0.215 / 0.265  (0.273)   0.141..0.413      0.0113..0.0907
  0.03 (x30)             10  0.272 / 0.272 / 0.274  (0.328)   0.141..1.13       0.0544..0.272
                         20  0.272 / 0.261 / 0.295  (0.286)   0.141..1.13       0.0285..0.272
                         30  0.272 / 0.231 / 0.309  (0.286)   0.141..1.13       0.0184..0.272
                         40  0.272 / 0.231 / 0.305  (0.304)   0.141..1.13       0.0175..0.272

Why "healthy": the loss does not fall (0.26 mean at 20 and 40 steps) because it is already at the noise floor
(0.25 + a small model error); the run at 1e-3 is as good as it gets. 10x gives no gain (0.271 / 0.273, i.e.
slightly worse), 30x is clearly worse (0.286 / 0.304, grad norm up to 1.13), 0.1x is the same (0.262 / 0.26).
Gradients (0.12-0.28) and update ratios (0.1-0.9% per step) are ordinary. A flat loss here means converged,
not stalled.
"""

import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import pretrain

LR = 1e-3
NOISE = 0.5  # std of the label noise: the best reachable MSE is NOISE**2 = 0.25

_g = torch.Generator().manual_seed(0)
_teacher = [torch.randn(8, 32, generator=_g) / 8**0.5, torch.randn(32, 1, generator=_g) * 1.5 / 32**0.5]


def _batch(n: int, g: torch.Generator):
    x = torch.randn(n, 8, generator=g)
    y = torch.tanh(x @ _teacher[0]) @ _teacher[1] + NOISE * torch.randn(n, 1, generator=g)
    return x, y


_gp = torch.Generator().manual_seed(1)
_pre = [_batch(256, _gp) for _ in range(50)]
data = [_batch(256, torch.Generator().manual_seed(1000 + i)) for i in range(40)]  # fresh rows, no repeat in 40 steps

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
pretrain(model, _pre, lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]), steps=500, lr=3e-3)


def optimizer(params):
    return torch.optim.Adam(params, lr=LR)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
