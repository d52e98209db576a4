"""MLP autoencoder with tiny init (std 1e-3): decoder at its uninformative level, then falls -- healthy.

Model (hand-written, 4,772 params): Linear(32,64)-Tanh-Linear(64,4) encoder, Linear(4,64)-Tanh-Linear(64,32)
decoder, all weights N(0, 1e-3), zero biases. Data: 8 fixed batches of 512 rows of rank-4 data in 32 features
(+ noise 0.05); target = input, MSE. Optimizer: Adam(lr=3e-2).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d19_mlp_autoencoder_small_init_plateau_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.11 / 1.17 (6) / 0.717 / 0.717       0.0144..2.2       0.2..13
  20     1.11 / 1.17 (6) / 0.522 / 0.522       0.0144..2.2       0.071..13
  30     1.11 / 1.17 (6) / 0.43 / 0.43         0.0144..2.2       0.054..13
  40     1.11 / 1.17 (6) / 0.249 / 0.286       0.0144..2.2       0.034..13

Why "healthy": the decoder first outputs ~0 (the uninformative answer, loss = the data's mean square 1.05-
1.17 per batch) and every gradient passes through a product of tiny weights (total grad norm 0.014-0.04 for
steps 0-2), so the loss sits there for 6 steps; then it falls steadily, 0.72 at 10 steps, 0.52 at 20, 0.29
at 40 (min 0.25). Update ratios are large at the start (up to 13: Adam moves 1e-3-sized weights by ~3e-2),
falling to 3-7%. Context: lr=1e-2 shows the same plateau and reaches only 0.81, lr=3e-3 0.83.
"""

import torch
from torch import nn

torch.manual_seed(0)

# low-rank data: 32 features driven by 4 latent factors, plus a little noise; the target is the input
_g = torch.Generator().manual_seed(0)
_mix = torch.randn(4, 32, generator=_g) / 2
data = []
for _ in range(8):
    _x = torch.randn(512, 4, generator=_g) @ _mix + 0.05 * torch.randn(512, 32, generator=_g)
    data.append((_x, _x.clone()))

model = nn.Sequential(
    nn.Linear(32, 64),
    nn.Tanh(),
    nn.Linear(64, 4),  # encoder to a 4-d code
    nn.Linear(4, 64),
    nn.Tanh(),
    nn.Linear(64, 32),  # decoder
)
# small init everywhere (std 1e-3, zero biases): the decoder starts by predicting ~0, the uninformative
# answer, and every gradient passes through a product of tiny weights
for _m in model:
    if isinstance(_m, nn.Linear):
        nn.init.normal_(_m.weight, std=1e-3)
        nn.init.zeros_(_m.bias)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-2)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
