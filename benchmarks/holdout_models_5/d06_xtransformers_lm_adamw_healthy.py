"""x-transformers decoder LM under AdamW at lr=1e-3 -- healthy.

Model and data as d05 (x_transformers TransformerWrapper + Decoder, dim 64, depth 2, 103k params,
Markov-chain next-token batches). Optimizer: AdamW(lr=1e-3, weight_decay=0.1).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d06_xtransformers_lm_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.93 / 2.93 (0) / 1.52 / 1.52         0.96..2.08        0.0078..0.014
  20     2.93 / 2.93 (0) / 1.21 / 1.26         0.585..2.08       0.0051..0.014
  30     2.93 / 2.93 (0) / 1.14 / 1.2          0.562..2.08       0.0035..0.014
  40     2.93 / 2.93 (0) / 1.1 / 1.24          0.496..2.08       0.0032..0.014

Why "healthy": the loss falls 2.93 -> 1.52 in 10 steps and to 1.1-1.24 by 40; grad norm 2.08 falling to
~0.5; the median layer moves 0.3-1.4% per step. Control for d05: the same run at lr=1e-6 stays at 2.84-2.93.
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
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
