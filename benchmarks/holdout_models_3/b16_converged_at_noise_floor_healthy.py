"""A small Tanh MLP regressor that has already converged to the noise floor, training on with Adam 1e-3 -- healthy.

Model: plain PyTorch, Linear(8, 32) -> Tanh -> Linear(32, 32) -> Tanh -> Linear(32, 1). At import the
script first trains it to convergence (400 steps of Adam(lr=3e-3) with a cosine schedule on
mini-batches of 128; deterministic), as if loaded from a finished run. Data: 1024 Gaussian points,
target sin(2 x0) + tanh(x1 x2) + 0.5 x3 plus N(0, 0.5^2) noise: target variance 1.28, irreducible
noise 0.25. 4 batches of 256. Optimizer: Adam(lr=1e-3).

Why "healthy": the model is done -- full-data MSE 0.311 against a noise floor of 0.25 and a
trivial-predictor loss of 1.28 -- so the loss can no longer fall much: per batch it cycles in
0.26-0.34 and drifts down slowly (each of the 4 batch losses falls by ~0.02 over 40 steps; never above the
step-0 value 0.34). The weights still move normally for Adam (update ratio ~1e-3 per step, 6e-3 on
the first), gradients are finite and steady (0.4-0.7). Nothing is wrong: not stalled (the updates
are not tiny; a flat loss is expected at the noise floor), not unstable. Judgement call by design:
the "converged, not stalled" case.

Plain loop: `python benchmarks/holdout_models_3/b16_converged_at_noise_floor_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm     update ratio, median layer  (all layers)
     10  0.34 / 0.34 (step 0) / 0.273 / 0.304  0.416..0.716  0.00122..0.0041             (0.00103..0.00636)
     20  0.34 / 0.34 (step 0) / 0.267 / 0.319  0.399..0.716  0.00101..0.0041             (0.000959..0.00636)
     30  0.34 / 0.34 (step 0) / 0.265 / 0.292  0.399..0.716  0.000993..0.0041            (0.000903..0.00636)
     40  0.34 / 0.34 (step 0) / 0.261 / 0.312  0.399..0.716  0.000921..0.0041            (0.000876..0.00636)
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(6)
_x = torch.randn(1024, 8, generator=_g)
_y = (
    torch.sin(2 * _x[:, :1]) + torch.tanh(_x[:, 1:2] * _x[:, 2:3]) + 0.5 * _x[:, 3:4]
    + 0.5 * torch.randn(1024, 1, generator=_g)
)  # fmt: skip

torch.manual_seed(6)
model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def _train_to_convergence(steps: int = 400) -> None:
    pre = list(zip(_x.split(128), _y.split(128), strict=True))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for i in range(steps):
        x, y = pre[i % len(pre)]
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
        sched.step()
    model.zero_grad(set_to_none=True)


_train_to_convergence()
data = list(zip(_x.split(256), _y.split(256), strict=True))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    with torch.no_grad():
        print(f"after the import-time training: full-data MSE {F.mse_loss(model(_x), _y).item():.4f}, "
              f"target variance {_y.var().item():.3f}, noise variance 0.25")  # fmt: skip
    external.plain_loop(sys.modules[__name__])
