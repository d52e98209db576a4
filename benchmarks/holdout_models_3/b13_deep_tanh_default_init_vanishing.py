"""A 12-hidden-layer Tanh MLP with PyTorch's default init, plain SGD: gradients fade towards the input -- vanishing.

Model: plain PyTorch, 12 x (Linear(width 64) -> Tanh) on 16 inputs, then Linear(64, 4); nn.Linear's
default init (kaiming_uniform with a=sqrt(5), i.e. weight std 1/sqrt(3 fan_in): a gain of ~0.58, well
below the ~1 a Tanh stack needs). Data: 512 Gaussian points, 4 classes from a fixed random linear
map, 8 batches of 64. Optimizer: SGD(lr=0.5).

Why "vanishing": every layer multiplies the backward signal by ~0.58 x tanh' < 0.58, while the
biases keep the forward activations from vanishing, so the weight gradients shrink geometrically
towards the input. Median over 40 steps, grad norm | update ratio: layer "0" 5.4e-4 | 5.6e-5,
"4" 1.2e-3 | 1.2e-4, "10" 2.9e-3 | 3.1e-4, "20" 0.045 | 4.8e-3, "22" 0.087 | 9.5e-3, head "24"
0.15 | 0.065 -- the first layers get 100-300x weaker gradients and barely move, while the last
layers do move by 1-6% per step (so the learning rate is not the problem). The input information
does not get through and the loss stays at ln 4 = 1.39 (1.36-1.42, batch to batch). Fix: the init
(Xavier/orthogonal with the tanh gain), the activation (ReLU + Kaiming), normalisation or residual
connections -- several are right, so none is required here.

Plain loop: `python benchmarks/holdout_models_3/b13_deep_tanh_default_init_vanishing.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm      update ratio, median layer  (all layers)
     10  1.39 / 1.4 (step 3) / 1.36 / 1.4      0.0817..0.252  0.000238..0.000789          (4.47e-05..0.0863)
     20  1.39 / 1.42 (step 18) / 1.36 / 1.38   0.0679..0.293  0.000218..0.000809          (4.47e-05..0.105)
     30  1.39 / 1.42 (step 26) / 1.36 / 1.39   0.0656..0.293  0.000211..0.000809          (4.47e-05..0.105)
     40  1.39 / 1.42 (step 26) / 1.36 / 1.37   0.064..0.293   0.000205..0.000809          (4.47e-05..0.105)
"""

import sys
from pathlib import Path

import torch
from torch import nn

_g = torch.Generator().manual_seed(0)
_x = torch.randn(512, 16, generator=_g)
_y = (_x @ torch.randn(16, 4, generator=_g)).argmax(1)
data = list(zip(_x.split(64), _y.split(64), strict=True))

torch.manual_seed(0)
_layers: list[nn.Module] = []
_d = 16
for _ in range(12):
    _layers += [nn.Linear(_d, 64), nn.Tanh()]
    _d = 64
model = nn.Sequential(*_layers, nn.Linear(64, 4))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.5)


EXPECTED = {
    "verdict": "vanishing",
    "layers": {"0": "vanishing", "2": "vanishing", "4": "vanishing"},
    "others": ["healthy", "vanishing"],
    "recommend": [],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
