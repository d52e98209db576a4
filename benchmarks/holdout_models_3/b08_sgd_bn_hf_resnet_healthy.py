"""SGD lr 0.1, momentum 0.9 on a tiny Hugging Face ResNet (BatchNorm): big steps, converging -- healthy.

Model: real public code, `transformers.ResNetForImageClassification(ResNetConfig(...))` built from a
config (no download): 16-channel stem, two basic stages (16, 32 channels, one block each),
BatchNorm after every conv, 4-class head, 21.7k parameters. Data: 8 batches of 32 noisy 3x16x16
images (N(0, 1) noise); the class is which 8x8 quadrant carries a faint +0.25 offset; dict batches
{"pixel_values", "labels"}, the loss is `output.loss`. Optimizer: SGD(lr=0.1, momentum=0.9), the
classic ResNet recipe.

Why "healthy": the conv and head updates are large (per-layer median update ratio 0.005-0.06 for the
convs and the classifier, up to 0.14 on single steps, ~2e-3 for the BatchNorm affines; BatchNorm
makes the convs scale invariant, so such steps are what this recipe relies on), and they are right:
the loss falls from 1.50 (ln 4 = 1.39) to 1.08 by step 9, 0.21 by step 19 and 1e-3 by step 39,
never above the start; the gradient norm shrinks as it converges (2.1 -> 0.02). Nothing to fix.

Plain loop: `python benchmarks/holdout_models_3/b08_sgd_bn_hf_resnet_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end     grad norm    update ratio, median layer  (all layers)
     10  1.5 / 1.5 (step 0) / 1.08 / 1.08        1.52..2.1    0.00237..0.00551            (0.000749..0.114)
     20  1.5 / 1.5 (step 0) / 0.207 / 0.207      0.984..2.1   0.00237..0.00762            (0.000749..0.14)
     30  1.5 / 1.5 (step 0) / 0.00786 / 0.00786  0.106..2.1   0.00237..0.00762            (0.000749..0.14)
     40  1.5 / 1.5 (step 0) / 0.0011 / 0.00134   0.0166..2.1  0.00141..0.00762            (0.000514..0.14)
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
    g = torch.Generator().manual_seed(5)
    out = []
    for _ in range(8):
        y = torch.randint(0, CLASSES, (BATCH,), generator=g)
        x = torch.randn(BATCH, 3, SIZE, SIZE, generator=g)
        for k in range(BATCH):
            r, c = divmod(int(y[k]), 2)
            x[k, :, r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8] += 0.25
        out.append({"pixel_values": x, "labels": y})
    return out


data = _batches()

torch.manual_seed(5)
model = ResNetForImageClassification(
    ResNetConfig(
        num_channels=3, embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], layer_type="basic", num_labels=CLASSES
    )
)


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
