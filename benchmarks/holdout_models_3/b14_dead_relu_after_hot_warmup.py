"""A ReLU MLP resumed after a too-hot warm-up: most units of its second hidden layer are dead -- dead.

Model: plain PyTorch, Linear(20, 128) -> ReLU -> Linear(128, 128) -> ReLU -> Linear(128, 5). At
import the script reproduces what a bad first phase of training did: 20 full-batch steps of
Adam(lr=0.1) (deterministic; a "warm-up" at 100x the usual lr). Those oversized steps push most units
of the second hidden layer (module "2") to negative pre-activations on every training point. The
script's optimizer then continues with a sane Adam(lr=1e-3). Data: one full batch of 512 Gaussian
points, 5 classes from a fixed random linear map, 30% of the labels replaced by random ones.

Why "dead": 106/128 output units of layer "2" get exactly zero gradient on every one of the 40
steps (their ReLU is never active), and they cannot recover: no gradient, no update. The loss
itself falls smoothly (0.269 -> 0.231 by step 9 -> 0.164 by step 39, memorising the noisy labels
with what is left), so the network is wasting 83% of that layer; the first hidden layer is alive
(0/128 dead). Fix: re-initialise / a lower warm-up lr, or LeakyReLU/GELU.

Plain loop: `python benchmarks/holdout_models_3/b14_dead_relu_after_hot_warmup.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end     grad norm      update ratio, median layer  (all layers)
     10  0.269 / 0.269 (step 0) / 0.231 / 0.231  0.109..0.156   0.000876..0.000949          (0.000664..0.00251)
     20  0.269 / 0.269 (step 0) / 0.202 / 0.202  0.0964..0.156  0.000838..0.000949          (0.000611..0.00251)
     30  0.269 / 0.269 (step 0) / 0.182 / 0.182  0.084..0.156   0.000813..0.000949          (0.00056..0.00251)
     40  0.269 / 0.269 (step 0) / 0.164 / 0.164  0.077..0.156   0.000787..0.000949          (0.000547..0.00251)
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(2)
_x = torch.randn(512, 20, generator=_g)
_y = (_x @ torch.randn(20, 5, generator=_g)).argmax(1)
_flip = torch.rand(512, generator=_g) < 0.3  # 30% label noise
_y = torch.where(_flip, torch.randint(0, 5, (512,), generator=_g), _y)
data = [(_x, _y)]

torch.manual_seed(2)
model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 5))


def _hot_warmup(steps: int = 20) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for i in range(steps):
        x, y = data[i % len(data)]
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.zero_grad(set_to_none=True)


_hot_warmup()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "dead",
    "layers": {"2": "dead"},
    "others": ["healthy", "dead", "vanishing"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__], dead_layers=("0", "2"))
