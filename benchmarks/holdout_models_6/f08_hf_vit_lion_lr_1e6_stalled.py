"""Tiny ViT image classifier under Lion at lr=1e-6 (~300x too low) -- stalled.

Model: transformers ViTForImageClassification from config (16x16 RGB images, patch 4, hidden 64, 2 layers, 4
heads, intermediate 128, 4 labels, no dropout): 71,620 params. Data: 8 fixed HF dict batches of 32 images, each
0.5 x a fixed random prototype of its class + pixel noise of std 1 (a learnable task). Loss: the model's own
(labels in the batch). Optimizer: lion_pytorch.Lion(lr=1e-6, weight_decay=0.01); Lion's usual rates are 3-10x
below AdamW's, ~1e-4..3e-4 for this model.

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f08_hf_vit_lion_lr_1e6_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps:
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  1e-07 (x0.1)           10  1.38 / 1.37 / 1.37  (1.38)   1.82..5.21        5.02e-06..5.02e-06
                         20  1.38 / 1.37 / 1.39  (1.38)   1.82..5.21        5.02e-06..5.02e-06
                         30  1.38 / 1.37 / 1.4  (1.39)   1.82..5.21        5.02e-06..5.02e-06
                         40  1.38 / 1.37 / 1.38  (1.39)   1.82..5.21        5.02e-06..5.02e-06
  1e-06 (x1)             10  1.38 / 1.37 / 1.37  (1.38)   1.83..5.21        5.01e-05..5.01e-05
                         20  1.38 / 1.36 / 1.39  (1.38)   1.83..5.21        5.01e-05..5.01e-05
                         30  1.38 / 1.36 / 1.4  (1.39)   1.83..5.21        5.01e-05..5.01e-05
                         40  1.38 / 1.36 / 1.38  (1.38)   1.83..5.21        5.01e-05..5.01e-05
  1e-05 (x10)            10  1.38 / 1.35 / 1.35  (1.37)   1.91..5.21        0.000501..0.000501
                         20  1.38 / 1.33 / 1.35  (1.35)   1.91..5.21        0.000501..0.000501
                         30  1.38 / 1.31 / 1.36  (1.34)   1.91..5.21        0.000501..0.000501
                         40  1.38 / 1.28 / 1.34  (1.33)   1.91..5.21        0.000501..0.000501
  3e-05 (x30)            10  1.38 / 1.31 / 1.31  (1.36)   2.11..5.22        0.0015..0.0015
                         20  1.38 / 1.26 / 1.26  (1.3)   2.11..5.22        0.0015..0.0015
                         30  1.38 / 1.18 / 1.2  (1.2)   2.11..6.35        0.0015..0.0015
                         40  1.38 / 1.07 / 1.1  (1.09)   2.11..9.2         0.0015..0.0015
  0.0003 (x300)          10  1.38 / 0.762 / 0.762  (1.01)   2.28..10.4        0.015..0.015
                         20  1.38 / 0.509 / 0.509  (0.571)   2.28..10.4        0.0149..0.015
                         30  1.38 / 0.424 / 0.473  (0.453)   2.12..10.4        0.0145..0.015
                         40  1.38 / 0.341 / 0.379  (0.375)   1.72..10.4        0.014..0.015

Why "stalled": the loss sits at chance (ln 4 = 1.386): 1.38 at 10, 20 and 40 steps. Lion moves every weight by
exactly lr per step (sign updates), here 5e-5 of a layer's norm, with normal gradients (1.8-5.2). 10x gives 1.35
/ 1.33, 30x 1.30 at 20 steps and 1.09 at 40 (-21%), and a usual Lion rate (300x, 3e-4) 0.57 at 20 steps and 0.375
at 40. The rate is far too low.
"""

import torch

LR = 1e-6


def _images(n_batches: int = 8, batch: int = 32, seed: int = 0):
    """4 classes of 16x16 RGB images: a fixed random prototype per class plus pixel noise (std 1)."""
    g = torch.Generator().manual_seed(seed)
    protos = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(42))
    out = []
    for _ in range(n_batches):
        y = torch.randint(0, 4, (batch,), generator=g)
        x = 0.5 * protos[y] + torch.randn(batch, 3, 16, 16, generator=g)
        out.append({"pixel_values": x, "labels": y})
    return out


def _vit():
    from transformers import ViTConfig, ViTForImageClassification

    return ViTForImageClassification(
        ViTConfig(
            image_size=16, patch_size=4, num_channels=3, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=128, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=4,
        )
    )  # fmt: skip


data = _images()

torch.manual_seed(0)
model = _vit()


def optimizer(params):
    from lion_pytorch import Lion

    # Lion's usual rates are 3-10x below AdamW's (1e-4..3e-4 here); this one is ~300x below that
    return Lion(params, lr=LR, weight_decay=0.01)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
