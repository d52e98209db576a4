"""Tiny GPT-2 full fine-tune, AdamW 3e-3 with the HF linear warm-up (from lr 0) inside -- healthy.

Model: GPT2LMHeadModel(vocab 16, n_embd 64, 2 layers, 4 heads), 103k params, Markov-chain HF batches.
Optimizer: _opt.WarmupAdamW(lr=3e-3, warmup=10, total=1000, weight_decay=0.01), an AdamW that steps
transformers.get_linear_schedule_with_warmup after each step (the contract's optimizer(params) returns only
an optimizer): lr 0 at step 0, 3e-4 at step 1, ..., 3e-3 from step 10.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d18_hf_gpt2_adamw_linear_warmup_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.82 / 2.82 (0) / 2.05 / 2.05         1.48..2.56        0..0.061
  20     2.82 / 2.82 (0) / 1.49 / 1.54         0.912..2.56       0..0.062
  30     2.82 / 2.82 (0) / 1.25 / 1.31         0.743..2.56       0..0.062
  40     2.82 / 2.82 (0) / 1.15 / 1.27         0.717..2.56       0..0.062

Why "healthy": step 0 does not move any weight (lr 0, update ratio exactly 0) and step 1 barely (2.82 ->
2.81), then the loss falls steadily: 2.05 at 10 steps, 1.54 at 20, 1.27 at 40 (min 1.15); grad norm 2.6
falling to 0.7-1.0; the median layer moves up to 6% per step after warm-up.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import gpt2_lm, markov_hf_batches
from _opt import WarmupAdamW

data = markov_hf_batches()

torch.manual_seed(0)
model = gpt2_lm()


def optimizer(params):
    # 10 warm-up steps from lr 0 (the HF Trainer's linear schedule) up to 3e-3
    return WarmupAdamW(params, lr=3e-3, warmup=10, total=1000, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
