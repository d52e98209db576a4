"""Sigmoid classifier on raw (unstandardised) tabular features with a hand-written BCE -- nonfinite.

Model: Linear(8,16)-ReLU-Linear(16,1)-Sigmoid, 161 params; loss -(y log p + (1-y) log(1-p)).mean() written
by hand. Data: 8 batches of 64 rows of 8 features on their natural scales (age ~40, income ~5e4,
balance ~3e3, ..., each = scale * (1 + 0.3 z)); the label is drawn from a fixed logistic teacher on the
standardised z. Optimizer: Adam(lr=1e-3).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c14_raw_features_sigmoid_log_nonfinite.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     NaN on all 10 steps                     NaN (all)         NaN
  20     NaN on all 20 steps                     NaN (all)         NaN
  30     NaN on all 30 steps                     NaN (all)         NaN
  40     NaN on all 40 steps                     NaN (all)         NaN

Why "nonfinite": with income ~5e4 fed in raw, the output logit is in the thousands, the float32 sigmoid
rounds to exactly 0 or 1, log(0) = -inf and 0 * -inf = NaN: the loss of step 0 is NaN, its gradients are NaN,
the first Adam step writes NaN into the weights and every later step is NaN. Fix measured: standardising
the features (same model and hand-written loss) gives a finite loss 0.72 -> 0.67 with grad norm 0.2-0.35;
keeping the raw features but using BCE-with-logits also stays finite (730 -> 289, grad norm ~1e3-1e4, still
badly scaled, so standardising is the real fix).
"""

import sys

import torch
from torch import nn

IN, BATCH, N_BATCHES = 8, 64, 8
# raw (unstandardised) tabular features: age, income, balance, ... on their natural scales
SCALES = torch.tensor([40.0, 50_000.0, 3_000.0, 12.0, 1.0, 700.0, 5.0, 20_000.0])


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    # the teacher: a logistic model on the standardised features; the features are given raw
    g = torch.Generator().manual_seed(0)
    teacher = torch.randn(IN, generator=g)
    out = []
    for _ in range(N_BATCHES):
        z = torch.randn(BATCH, IN, generator=g)
        x = SCALES * (1.0 + 0.3 * z)
        y = (torch.rand(BATCH, generator=g) < torch.sigmoid(z @ teacher)).float()
        out.append((x, y))
    return out


data = _batches()

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(IN, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid(), nn.Flatten(0))


def loss(p, y):
    # binary cross-entropy written out by hand: log(0) when the sigmoid saturates to exactly 0 or 1
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


EXPECTED = {
    "verdict": "nonfinite",
    "others": ["healthy", "nonfinite"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
