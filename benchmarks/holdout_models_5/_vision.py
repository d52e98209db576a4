"""Synthetic image classification batches and a tiny HF ConvNeXt (not a model script, no EXPECTED)."""

import torch

SIZE, CLASSES, BATCH, N_BATCHES = 16, 4, 16, 8


def stripe_batches():
    """Class k = stripes at orientation k (0, 45, 90, 135 degrees) at a random phase and period 4-6, plus noise."""
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(SIZE).float(), torch.arange(SIZE).float(), indexing="ij")
    dirs = torch.tensor([[1.0, 0.0], [0.7071, 0.7071], [0.0, 1.0], [0.7071, -0.7071]])
    out = []
    for _ in range(N_BATCHES):
        y = torch.randint(0, CLASSES, (BATCH,), generator=g)
        period = torch.rand(BATCH, generator=g) * 2 + 4
        phase = torch.rand(BATCH, generator=g) * 6.2832
        proj = dirs[y, 0, None, None] * xx + dirs[y, 1, None, None] * yy
        img = torch.sin(6.2832 * proj / period[:, None, None] + phase[:, None, None])
        img = img + 0.3 * torch.randn(img.shape, generator=g)
        out.append((img.unsqueeze(1).repeat(1, 3, 1, 1), y))
    return out


def convnext(layer_scale: float = 1e-6):
    """HF ConvNextForImageClassification: 3x16x16 input, patch 2, stages (16, 32) x depth (2, 2), 4 classes,
    layer_scale_init_value = `layer_scale` (1e-6 is the library default); seed torch first."""
    from transformers import ConvNextConfig, ConvNextForImageClassification

    return ConvNextForImageClassification(
        ConvNextConfig(
            num_channels=3, patch_size=2, num_stages=2, hidden_sizes=[16, 32], depths=[2, 2], num_labels=CLASSES,
            layer_scale_init_value=layer_scale, drop_path_rate=0.0, image_size=SIZE,
        )
    )  # fmt: skip


def logits_ce(output, target):
    return torch.nn.functional.cross_entropy(output.logits, target)
