"""Tiny ViT image classifier (transformers), AdamW at its usual lr -- healthy.

Data: 8 batches of 32 random 3x16x16 images; the teacher is one fixed template per class (a colour, i.e.
a per-channel offset, plus a 0.5-std texture) and an image is its class template plus N(0, 2^2) pixel noise
(4 classes, chance loss ln 4 = 1.39). Model: real public code, transformers `ViTForImageClassification`
from a tiny `ViTConfig` (16x16 images, patch 4, hidden 32, 2 layers, 2 heads, no dropout), 19.4k params;
the loss is the one the model returns for `labels`.
Optimizer: AdamW(lr=1e-3, weight_decay=0.01). Same model/data as c01 (SGD+momentum) and c03 (RMSprop).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c02_hf_vit_adamw_healthy.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.40 / 1.40 (0) / 0.906 / 0.906       1.78..3.93        0.0202..0.0503
  20     1.40 / 1.40 (0) / 0.700 / 0.700       1.76..3.93        0.0116..0.0503
  30     1.40 / 1.40 (0) / 0.528 / 0.528       1.50..3.93        0.00956..0.0503
  40     1.40 / 1.40 (0) / 0.405 / 0.405       1.29..3.93        0.00715..0.0503

Why "healthy": the loss falls monotonically-ish every few steps from 1.40 to 0.405 and never exceeds its
start; gradient norm 1.3-3.9 and slowly decreasing; per-layer median update ratios ~1e-2 for the matrices
(Adam's usual early-training size) and ~4e-4 for the LayerNorm gains. The q/k projections have small
gradients (~2e-3, attention logits near zero at init) but move ~1.5%/step like the rest. Nothing to fix.
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
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
