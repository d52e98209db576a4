"""HF ConvNeXt with the default layer scale 1e-6, AdamW lr=5e-3 -- healthy (plateau, then falls).

Model: ConvNextForImageClassification(3x16x16, patch 2, stages (16, 32) x depth (2, 2), 4 classes,
layer_scale_init_value=1e-6 -- the library default), 28,596 params. Data: 8 fixed batches of 16 stripe
images (class = orientation, random period and phase, noise 0.3). Optimizer: AdamW(lr=5e-3, wd=0.05).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d17_hf_convnext_layer_scale_1e6_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.39 / 1.46 (4) / 1.19 / 1.29         1.49..7.84        0.054..0.19
  20     1.39 / 1.46 (4) / 0.958 / 0.958       0.794..7.84       0.054..0.19
  30     1.39 / 1.46 (4) / 0.618 / 0.618       0.794..7.84       0.05..0.19
  40     1.39 / 1.46 (4) / 0.156 / 0.156       0.63..7.84        0.025..0.19

Why "healthy": every block's output is scaled by gamma=1e-6 at the start, so the blocks' convolutions get
tiny gradients (median pwconv1 grad norm 0.002-0.02) and the loss sits on a plateau for ~20
steps (1.19-1.46 around the start 1.39), then falls steadily to 0.156 at 40 steps. Under AdamW the block
weights move 5-7% per step from the start (the gammas grow from 1e-6, so their own ratios are huge);
the loss fall proves it trains. Context: lr=2e-3 gives the same shape, more slowly (0.89 at 40 steps).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vision import convnext, logits_ce, stripe_batches

data = stripe_batches()

torch.manual_seed(0)
model = convnext(layer_scale=1e-6)


def loss(output, target):
    return logits_ce(output, target)


def optimizer(params):
    return torch.optim.AdamW(params, lr=5e-3, weight_decay=0.05)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
