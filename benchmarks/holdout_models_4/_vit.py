"""The image data and tiny ViT shared by c01, c02 and c03 (the image data also by c07).

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from transformers import ViTConfig, ViTForImageClassification

N_CLASSES, BATCH, N_BATCHES = 4, 32, 8


def image_batches(seed: int) -> list[dict[str, torch.Tensor]]:
    # the teacher: one fixed 3x16x16 template per class, a colour (per-channel offset) plus a texture;
    # an image is its class template plus pixel noise
    g = torch.Generator().manual_seed(seed)
    colours = torch.randn(N_CLASSES, 3, 1, 1, generator=g)
    templates = colours + 0.5 * torch.randn(N_CLASSES, 3, 16, 16, generator=g)
    out = []
    for _ in range(N_BATCHES):
        y = torch.randint(0, N_CLASSES, (BATCH,), generator=g)
        x = templates[y] + 2.0 * torch.randn(BATCH, 3, 16, 16, generator=g)
        out.append({"pixel_values": x, "labels": y})
    return out


def vit() -> ViTForImageClassification:
    """The tiny ViT (16x16 images, patch 4, hidden 32, 2 layers, 2 heads, no dropout); seed torch first."""
    return ViTForImageClassification(
        ViTConfig(
            image_size=16, patch_size=4, num_channels=3, hidden_size=32, num_hidden_layers=2,
            num_attention_heads=2, intermediate_size=64, num_labels=N_CLASSES,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        )
    )  # fmt: skip
