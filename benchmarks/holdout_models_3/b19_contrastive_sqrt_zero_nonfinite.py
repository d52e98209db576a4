"""A contrastive embedding net whose hand-written pairwise distance takes sqrt(0) on the diagonal -- nonfinite.

Model: plain PyTorch, Linear(16, 64) -> ReLU -> Linear(64, 32) embedding. Data: 4 batches of 64
points from 8 Gaussian clusters (label = cluster). `compute_loss` is a hand-written contrastive loss:
pairwise Euclidean distances `sqrt(((e[:, None] - e[None]) ** 2).sum(-1))` over the whole batch,
same-cluster pairs pulled together (d^2), different-cluster pairs pushed beyond a margin of 1
(relu(1 - d)^2). The diagonal (each point with itself) has distance exactly 0, and the derivative of
sqrt at 0 is infinite: the backward pass gives inf * 0 = NaN for every embedding. Optimizer: Adam(1e-3).

Why "nonfinite": the loss at step 0 is finite (0.405), but its gradients are NaN in both layers
already on step 0; Adam writes NaN into all the weights, and from step 1 on the loss is NaN too.
(Fix: mask the diagonal / add an eps inside the sqrt / use torch.cdist.)

Plain loop: `python benchmarks/holdout_models_3/b19_contrastive_sqrt_zero_nonfinite.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max / end     grad norm  update ratio
     10  0.405 / 0.405 / NaN (9 NaN)   all NaN    all NaN
     20  0.405 / 0.405 / NaN (19 NaN)  all NaN    all NaN
     30  0.405 / 0.405 / NaN (29 NaN)  all NaN    all NaN
     40  0.405 / 0.405 / NaN (39 NaN)  all NaN    all NaN
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(7)
_centres = 2.0 * torch.randn(8, 16, generator=_g)
_labels = torch.randint(0, 8, (256,), generator=_g)
_x = _centres[_labels] + torch.randn(256, 16, generator=_g)
data = list(zip(_x.split(64), _labels.split(64), strict=True))

torch.manual_seed(7)
model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))


def compute_loss(model, batch):
    x, y = batch
    e = model(x)
    d = torch.sqrt(((e[:, None, :] - e[None, :, :]) ** 2).sum(-1))  # includes d_ii = 0
    same = (y[:, None] == y[None, :]).float()
    return (same * d**2 + (1 - same) * F.relu(1.0 - d) ** 2).mean()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "nonfinite",
    "layers": {"0": "nonfinite", "2": "nonfinite"},
    "others": ["nonfinite"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
