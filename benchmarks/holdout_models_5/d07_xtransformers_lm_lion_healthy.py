"""x-transformers decoder LM trained with Lion (lion-pytorch) at lr=3e-4 -- healthy.

Model and data as d05/d06 (x-transformers Decoder LM, 103k params). Optimizer: lion_pytorch.Lion(lr=3e-4,
weight_decay=1.0): the package's rule of thumb, lr 3-10x below AdamW's and decoupled decay 3-10x above.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d07_xtransformers_lm_lion_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.93 / 2.93 (0) / 2.11 / 2.11         1.43..2.08        0.0042..0.0042
  20     2.93 / 2.93 (0) / 1.59 / 1.59         1.06..2.08        0.0042..0.0042
  30     2.93 / 2.93 (0) / 1.38 / 1.41         0.808..2.08       0.0042..0.0042
  40     2.93 / 2.93 (0) / 1.27 / 1.41         0.699..2.08       0.0042..0.0043

Why "healthy": the loss falls steadily 2.93 -> 2.11 (10) -> 1.59 (20) -> 1.27-1.41 (40); grad norm 2.08
decreasing to 0.7; Lion's sign update moves the median layer by a constant 0.42% per step. Context: Lion at 1e-2
also trained (1.29) and at 3e-2 first rose to 3.39 before recovering to 1.83 -- so no lr-high label here.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import lm_loss, next_token_batches, xt_lm
from lion_pytorch import Lion

data = next_token_batches()

torch.manual_seed(0)
model = xt_lm()


def loss(output, target):
    return lm_loss(output, target)


def optimizer(params):
    # Lion's rule of thumb: lr 3-10x below AdamW's, weight decay 3-10x above
    return Lion(params, lr=3e-4, weight_decay=1.0)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
