"""ReLU MLP whose first layer's biases were initialised to -2 -- dead ReLUs.

Model: Linear(32,128)-ReLU-Linear(128,128)-ReLU-Linear(128,4) (layer names 0, 2, 4), 21k params; the bug is
`nn.init.constant_(model[0].bias, -2.0)`: the "start closed" bias of highway-network gates copied onto a
ReLU layer. With standardised inputs the first layer's pre-activations have std ~0.58, so -2 is ~3.5
standard deviations below zero and most units never fire. Data: 8 batches of 128 x 32 N(0,1) features,
label = argmax of a fixed random 2-layer tanh teacher (4 classes). Optimizer: Adam(lr=1e-3).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c12_relu_mlp_negative_bias_dead.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.39 / 1.40 (3) / 1.38 / 1.38         0.0158..0.207     0.00282..0.00343
  20     1.39 / 1.40 (3) / 1.37 / 1.38         0.0117..0.207     0.00242..0.00343
  30     1.39 / 1.40 (3) / 1.36 / 1.37         0.0117..0.207     0.00237..0.00343
  40     1.39 / 1.40 (3) / 1.36 / 1.36         0.0117..0.207     0.00237..0.00346
  units whose weight-gradient row was exactly zero on every step so far (plain_loop dead_layers check):
    after 10/20/30/40 steps: layer 0: 91/91/91/91 of 128; layer 2: 40/36/29/19 of 128

Why "dead": 91 of the 128 first-layer units (71%) never pass a gradient on any of the 1024 inputs in
40 steps, and Adam cannot revive them (a unit with zero gradient gets no update); the surviving 37 fire on
few inputs, so the second layer sees a sparse, weak input and part of it is silent too (40 -> 19 units,
hence "dead" is also accepted for layer 2). The loss sits at chance: 1.39 -> 1.36 in 40 steps. Fix measured:
the default bias init gives 0/128 zero-gradient units in both layers and the loss falls 1.38 -> 0.77.
"""

import sys

import torch
from torch import nn

IN, HIDDEN, N_CLASSES, BATCH, N_BATCHES = 32, 128, 4, 128, 8


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    # the teacher: a fixed random 2-layer tanh net; the class is the arg-max of its outputs
    g = torch.Generator().manual_seed(0)
    w1, w2 = torch.randn(IN, 32, generator=g), torch.randn(32, N_CLASSES, generator=g)
    out = []
    for _ in range(N_BATCHES):
        x = torch.randn(BATCH, IN, generator=g)  # standardised features
        out.append((x, (torch.tanh(x @ w1 / IN**0.5) @ w2).argmax(1)))
    return out


data = _batches()

torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(IN, HIDDEN), nn.ReLU(),
    nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
    nn.Linear(HIDDEN, N_CLASSES),
)  # fmt: skip
# the bug: the first layer's biases set to -2, the "start closed" bias of highway-network gates,
# copied onto a ReLU layer whose pre-activations have std ~0.58
nn.init.constant_(model[0].bias, -2.0)
DEAD_CHECK = ("0", "2")


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "dead",
    "others": ["healthy", "dead"],
    "layers": {"0": "dead"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__], dead_layers=DEAD_CHECK)
