"""Tiny GPT-NeoX causal LM (transformers) on a Markov-chain language, AdamW -- healthy.

Model: real public code, `GPTNeoXForCausalLM(GPTNeoXConfig(vocab 16, hidden 32, 2 layers, 4 heads,
intermediate 64, max positions 32, no dropout))`, 18.2k params, loss returned by the model for
`labels=input_ids` (it shifts them itself). Data: 8 batches of 16 x 32 tokens sampled from a fixed
first-order Markov chain with peaked rows (softmax of 3*N(0,1) logits), so the next token is learnable
from the current one (chance ln 16 = 2.77). Optimizer: AdamW(lr=2e-3, betas=(0.9, 0.95), wd=0.1).
c15 is the same model and data under SGD(lr=1e-4).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c06_hf_gptneox_markov_adamw_healthy.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.78 / 2.78 (0) / 2.24 / 2.24         1.16..2.03        0.0363..0.0997
  20     2.78 / 2.78 (0) / 1.92 / 1.93         1.02..2.03        0.0185..0.0997
  30     2.78 / 2.78 (0) / 1.66 / 1.67         0.874..2.03       0.0130..0.0997
  40     2.78 / 2.78 (0) / 1.43 / 1.53         0.755..2.03       0.0103..0.0997

Why "healthy": smooth, nearly monotone fall 2.78 -> 2.24 -> 1.93 -> 1.67 -> 1.53 (wiggles < 0.1);
gradient norm decreasing gently 2.0 -> 0.76; update ratios 1-10% per step early, shrinking as Adam's second
moments fill in. Nothing to fix.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gptneox import gptneox, markov_batches

data = markov_batches()

torch.manual_seed(0)
model = gptneox()


def optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3, betas=(0.9, 0.95), weight_decay=0.1)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
