"""x-transformers decoder LM under AdamW at lr=1e-6 (1000x too low) -- stalled.

Model: x_transformers TransformerWrapper(num_tokens 16, max_seq_len 32, Decoder(dim 64, depth 2, heads 4,
head dim 16)), 103,360 params. Data: 8 fixed batches of 16 x 32 next-token pairs from a peaked Markov chain;
loss: token cross-entropy on the (batch, len, vocab) logits. Optimizer: AdamW(lr=1e-6, weight_decay=0.1).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d05_xtransformers_lm_adamw_lr_low_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.93 / 2.93 (0) / 2.85 / 2.85         2.08..2.36        1.1e-05..1.4e-05
  20     2.93 / 2.93 (0) / 2.85 / 2.86         2.07..2.36        1.1e-05..1.4e-05
  30     2.93 / 2.93 (0) / 2.84 / 2.91         2.07..2.36        1.1e-05..1.4e-05
  40     2.93 / 2.93 (0) / 2.84 / 2.91         2.07..2.36        1.1e-05..1.4e-05

Why "stalled": the weight matrices move ~1e-5 of their norm per step (embedding 5e-6), and the loss stays on
its per-batch pattern, 2.93 -> 2.91 (min 2.84: batches that were at 2.85-2.86 on their first visit), with steady normal
gradients (2.1-2.4). The x-transformers norm gains (zero-initialised, applied as 1 + g) show ratios ~0.05 only
because their stored value starts at 0. Control: lr=1e-3 (d06) takes the same model to 1.24 (1.52 at 10 steps).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import lm_loss, next_token_batches, xt_lm

data = next_token_batches()

torch.manual_seed(0)
model = xt_lm()


def loss(output, target):
    return lm_loss(output, target)


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-6, weight_decay=0.1)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
