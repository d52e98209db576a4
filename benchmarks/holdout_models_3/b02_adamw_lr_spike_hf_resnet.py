"""AdamW at lr 0.3 on a tiny Hugging Face ResNet: early loss spike, then recovery -- unstable.

Model: real public code, `transformers.ResNetForImageClassification(ResNetConfig(...))` built from a
config (no download): 16-channel stem, two basic stages (16, 32 channels, one block each),
BatchNorm after every conv, 4-class head, 21.7k parameters. Data: 8 batches of 32 noisy 3x16x16
images (N(0, 1) noise), the class is which 8x8 quadrant carries a faint +0.3 offset; dict batches
{"pixel_values", "labels"}, the loss is `output.loss`. Optimizer: AdamW(lr=0.3, weight_decay=0.01),
300x the usual 1e-3.

Why "unstable": the first AdamW step moves every weight by ~lr (update ratio up to 5.9), the
classifier logits jump and the cross-entropy goes from 1.44 (ln 4 = 1.39) to 6.21 at step 1 -- 4.3x
the start, far above a uniform guess -- then 2.66, 2.05, 1.66, and hovers around the uniform-guess
level (1.1-1.7) until step ~23; after that the BatchNorm'd (scale-invariant) convs have absorbed the
oversized steps and it learns (0.09 at step 39). The gradient norm rises only 3x at the spike
(1.71 -> 5.14) and stays finite: a learning-rate problem, not exploding gradients. The spike is at
step 1, so it is in every 10..40-step window.

Plain loop: `python benchmarks/holdout_models_3/b02_adamw_lr_spike_hf_resnet.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end     grad norm    update ratio, median layer  (all layers)
     10  1.44 / 6.21 (step 1) / 1.37 / 1.39      0.168..5.14  0.0505..1.19                (0.0475..5.91)
     20  1.44 / 6.21 (step 1) / 1.08 / 1.12      0.143..5.14  0.0222..1.19                (0.0133..5.91)
     30  1.44 / 6.21 (step 1) / 0.622 / 0.763    0.143..5.14  0.0176..1.19                (0.00985..5.91)
     40  1.44 / 6.21 (step 1) / 0.0908 / 0.0908  0.094..5.14  0.0171..1.19                (0.00394..5.91)
"""

import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
from transformers import ResNetConfig, ResNetForImageClassification  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

CLASSES, SIZE, BATCH = 4, 16, 32


def _batches() -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(8):
        y = torch.randint(0, CLASSES, (BATCH,), generator=g)
        x = torch.randn(BATCH, 3, SIZE, SIZE, generator=g)
        for k in range(BATCH):
            r, c = divmod(int(y[k]), 2)
            x[k, :, r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8] += 0.3
        out.append({"pixel_values": x, "labels": y})
    return out


data = _batches()

torch.manual_seed(0)
model = ResNetForImageClassification(
    ResNetConfig(
        num_channels=3, embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic", num_labels=CLASSES
    )
)


def optimizer(params):
    return torch.optim.AdamW(params, lr=0.3, weight_decay=0.01)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding", "vanishing"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
