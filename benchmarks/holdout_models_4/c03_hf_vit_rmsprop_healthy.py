"""Tiny ViT image classifier (transformers), RMSprop at a sensible lr -- healthy.

Data: 8 batches of 32 random 3x16x16 images; the teacher is one fixed template per class (a colour, i.e.
a per-channel offset, plus a 0.5-std texture) and an image is its class template plus N(0, 2^2) pixel noise
(4 classes, chance loss ln 4 = 1.39). Model: real public code, transformers `ViTForImageClassification`
from a tiny `ViTConfig` (16x16 images, patch 4, hidden 32, 2 layers, 2 heads, no dropout), 19.4k params;
the loss is the one the model returns for `labels`.
Optimizer: RMSprop(lr=1e-4) (PyTorch defaults otherwise: alpha=0.99, no momentum). Same model/data as c01
(SGD+momentum) and c02 (AdamW).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c03_hf_vit_rmsprop_healthy.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.40 / 1.40 (0) / 0.937 / 0.940       1.78..6.65        0.0134..0.0503
  20     1.40 / 1.40 (0) / 0.829 / 0.829       1.78..6.65        0.0060..0.0503
  30     1.40 / 1.40 (0) / 0.778 / 0.778       1.78..6.65        0.00519..0.0503
  40     1.40 / 1.40 (0) / 0.739 / 0.739       1.78..6.65        0.00431..0.0503

Why "healthy": the loss falls from 1.40 to 0.94 in 10 steps and keeps falling (0.83, 0.78, 0.74) without
ever going above its start; gradients finite, 1.8-6.7; weights move 0.4-5% per step. Slower than AdamW at
the end, as expected of plain RMSprop at 1e-4, but clearly learning. Context: RMSprop lr=3e-4 gave a bump
(1.03 -> 1.28 at step 4), so 1e-4 is the sensible setting.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vit import image_batches, vit

data = image_batches(seed=0)

torch.manual_seed(0)
model = vit()


def optimizer(params):
    return torch.optim.RMSprop(params, lr=1e-4)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
