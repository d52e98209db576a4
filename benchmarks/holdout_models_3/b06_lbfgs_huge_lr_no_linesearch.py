"""LBFGS with lr=10 and no line search on a small tanh classifier (float64): the loss blows up -- unstable.

Model: plain PyTorch, Linear(10, 32) -> Tanh -> Linear(32, 3), float64. Data: one full batch of 256
Gaussian points, label = argmax of a fixed random linear map; default cross-entropy. Optimizer:
LBFGS(lr=10, max_iter=1), no line search: each `step(closure)` takes one quasi-Newton step scaled
by 10. (With lr=1 the same set-up converges to a loss of 6e-8 within 25 steps.)

Why "unstable": the loss goes 1.13, 0.78, 1.55, 33.8, 54, 196, ... and grows geometrically to 5e4
by step 9 and 4e25 by step 39 -- far above the start and above ln 3 -- while every value stays
finite. The gradients do not explode: the tanh features are bounded and the cross-entropy's gradient
w.r.t. the logits is at most sqrt(2), so the total gradient norm stays in 0.40..7.35 (at most 12x
its start) while the weights grow by orders of magnitude (update ratios 0.6..13 per step); the
first layer's tanh units saturate, so its gradient even goes to ~0 (hence "vanishing"/"dead" are
allowed for layers). It is the step size, not the gradients: fix the learning rate (or use
`line_search_fn="strong_wolfe"`).

Plain loop: `python benchmarks/holdout_models_3/b06_lbfgs_huge_lr_no_linesearch.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end           grad norm    update ratio, median layer  (all layers)
     10  1.13 / 5.18e+04 (step 9) / 0.779 / 5.18e+04   0.397..7.35  0.629..12.8                 (0.102..12.8)
     20  1.13 / 4.73e+11 (step 19) / 0.779 / 4.73e+11  0.397..7.35  0.629..12.8                 (0.102..12.8)
     30  1.13 / 4.58e+18 (step 29) / 0.779 / 4.58e+18  0.397..7.35  0.629..12.8                 (0.102..12.8)
     40  1.13 / 4.4e+25 (step 39) / 0.779 / 4.4e+25    0.397..7.35  0.629..12.8                 (0.102..12.8)
"""

import sys
from pathlib import Path

import torch
from torch import nn

_g = torch.Generator().manual_seed(3)
_x = torch.randn(256, 10, generator=_g, dtype=torch.float64)
_y = (_x @ torch.randn(10, 3, generator=_g, dtype=torch.float64)).argmax(1)
data = [(_x, _y)]

torch.manual_seed(3)
model = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 3)).double()


def optimizer(params):
    return torch.optim.LBFGS(params, lr=10.0, max_iter=1)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding", "vanishing", "dead"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
