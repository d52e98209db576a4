"""Deep (12 hidden layers) sigmoid MLP with default init and no normalisation -- vanishing gradients.

Model: nn.Sequential of 12 x [Linear(.., 64), Sigmoid] + Linear(64, 4), PyTorch's default Linear init
(weights U(+-1/sqrt(fan_in)), i.e. gain ~0.58), 48k params; layer names are the Sequential indices
0, 2, ..., 22 (hidden) and 24 (output). Data: 8 batches of 64 x 32 standard-normal inputs, label = argmax of a
fixed random linear teacher (4 classes, chance 1.39). Optimizer: SGD(lr=0.1, momentum=0.9).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c11_deep_sigmoid_mlp_vanishing.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.48 / 1.56 (3) / 1.32 / 1.40         0.334..1.26       1.5e-07..3.8e-07
  20     1.48 / 1.56 (3) / 1.32 / 1.42         0.215..1.26       1.5e-07..3.9e-07
  30     1.48 / 1.56 (3) / 1.32 / 1.37         0.183..1.26       1.5e-07..3.9e-07
  40     1.48 / 1.56 (3) / 1.32 / 1.41         0.183..1.26       1.1e-07..3.9e-07
  gradient norm per layer (median over 40 steps), input -> output:
    0: 6.0e-11  2: 3.1e-10  4: 2.0e-09  6: 1.5e-08  8: 1.1e-07  10: 7.5e-07  12: 5.1e-06
    14: 3.5e-05  16: 2.4e-04  18: 1.9e-03  20: 1.2e-02  22: 9.2e-02  24 (output): 0.57
  update ratio per step: layer 0 exactly 0 (below float32 resolution), 12: 2e-7, 22: 3e-3, 24: 5e-2

Why "vanishing": each sigmoid layer multiplies the backward signal by sigma' <= 0.25 times a weight matrix
of gain ~0.58, so the gradient shrinks ~7x per layer: 10 orders of magnitude from the output layer to the
first; the lower 8-9 layers do not move at all and the loss stays at chance (1.32-1.56, end 1.41 vs start
1.48) at every step count, although the output layer moves 5% per step (so the lr is not the problem).
Fix measured: a BatchNorm1d before each sigmoid keeps the Linear layers' gradients at 0.27-0.49 in every
layer (step 0) and the loss falls 1.47 -> 0.63 in 40 steps; ReLU + kaiming_normal_ init gives per-layer gradients
0.33..2.0 across all 13 layers.
"""

import sys

import torch
from torch import nn

IN, WIDTH, DEPTH, N_CLASSES, BATCH, N_BATCHES = 32, 64, 12, 4, 64, 8


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
# a 12-hidden-layer sigmoid MLP with PyTorch's default Linear init and no normalisation
_layers: list[nn.Module] = []
for i in range(DEPTH):
    _layers += [nn.Linear(IN if i == 0 else WIDTH, WIDTH), nn.Sigmoid()]
model = nn.Sequential(*_layers, nn.Linear(WIDTH, N_CLASSES))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


EXPECTED = {
    "verdict": "vanishing",
    "others": ["healthy", "vanishing"],
    "layers": {"0": "vanishing"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
