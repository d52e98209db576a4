"""Deep ReLU MLP initialised with nn.init.normal_ (std 1) -- exploding gradients.

Model: 6 x [Linear(.., 64), ReLU] + Linear(64, 4) (layer names 0, 2, ..., 12), 23k params; the bug is the
common `nn.init.normal_(m.weight)` whose default std is 1 instead of ~sqrt(2/fan_in) = 0.18-0.25, so every
layer multiplies the signal by ~sqrt(fan_in/2) = 4-5.7 and the logits come out ~1e5. Data: like c11
(8 batches of 64 x 32 N(0,1), label = argmax of a fixed linear teacher). Optimizer: Adam(lr=1e-3), whose
bounded steps keep the run finite.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c13_deep_relu_normal_init_exploding.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.72e5 / 1.72e5 (0) / 8.76e4 / 8.76e4   8.0e4..2.04e5     5.8e-04..9.6e-04
  20     1.72e5 / 1.72e5 (0) / 6.87e4 / 7.10e4   8.0e4..2.04e5     5.3e-04..9.6e-04
  30     1.72e5 / 1.72e5 (0) / 4.17e4 / 4.17e4   5.5e4..2.04e5     4.0e-04..9.6e-04
  40     1.72e5 / 1.72e5 (0) / 3.49e4 / 4.05e4   4.4e4..2.04e5     3.4e-04..9.6e-04
  gradient norm per layer (median over 40 steps): 0: 2.5e4, 2: 2.5e4, 4: 2.6e4, 6: 2.9e4, 8: 3.5e4,
  10: 3.5e4, 12 (output): 3.9e4

Why "exploding": the gradient norm is 4e4-2e5 on every step (a properly initialised copy has 1-7) and the
cross-entropy is ~1e5 because the logits are ~1e5; every layer's gradient is ~1e4 times normal. Adam
normalises the step so nothing overflows and the loss creeps down (1.7e5 -> 4e4), but at ~0.05% weight
change per step it would take thousands of steps to undo the 5^7 gain; SGD with any ordinary lr would
overflow on step 1. Fix measured: kaiming_normal_ init (std sqrt(2/fan_in)), same Adam: loss 2.14 -> 0.88,
total grad norm 1.15-7.3, per-layer 0.75-3.8.
"""

import sys

import torch
from torch import nn

IN, WIDTH, DEPTH, N_CLASSES, BATCH, N_BATCHES = 32, 64, 6, 4, 64, 8


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    # the teacher: a fixed random linear map; the class is the arg-max of its 4 outputs
    g = torch.Generator().manual_seed(0)
    teacher = torch.randn(IN, N_CLASSES, generator=g)
    out = []
    for _ in range(N_BATCHES):
        x = torch.randn(BATCH, IN, generator=g)
        out.append((x, (x @ teacher).argmax(1)))
    return out


data = _batches()

torch.manual_seed(0)
_layers: list[nn.Module] = []
for i in range(DEPTH):
    _layers += [nn.Linear(IN if i == 0 else WIDTH, WIDTH), nn.ReLU()]
model = nn.Sequential(*_layers, nn.Linear(WIDTH, N_CLASSES))
# the bug: "initialise the weights from a normal distribution" with nn.init.normal_'s default std=1
# instead of std ~ sqrt(2 / fan_in): every layer multiplies the signal by ~sqrt(fan_in / 2) = 4..5.7
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight)
        nn.init.zeros_(m.bias)


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "exploding",
    "others": ["healthy", "exploding"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
