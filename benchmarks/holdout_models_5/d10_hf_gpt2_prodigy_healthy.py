"""Tiny GPT-2 full fine-tune with Prodigy (prodigyopt, lr=1.0) -- healthy, after a short plateau.

Model: GPT2LMHeadModel(vocab 16, n_embd 64, 2 layers, 4 heads), 103k params, every weight trained; Markov-
chain HF dict batches. Optimizer: prodigyopt.Prodigy(lr=1.0, weight_decay=0.01): the package's recipe,
the step size d is estimated from d0=1e-6 upward.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d10_hf_gpt2_prodigy_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.82 / 2.83 (2) / 2.29 / 2.29         1.77..2.59        0.00016..0.084
  20     2.82 / 2.83 (2) / 1.31 / 1.55         1.12..2.79        0.00016..0.24
  30     2.82 / 2.83 (2) / 1.19 / 1.3          0.624..2.79       0.00016..0.24
  40     2.82 / 2.83 (2) / 1.11 / 1.27         0.378..2.79       0.00016..0.24

Why "healthy": for 5 steps, while Prodigy grows d, the loss sits at 2.80-2.83 (update ratios ~1e-4), then
falls: 2.29 at 10 steps, 1.55 at 20, 1.27 at 40 (min 1.11); grad norm 2.8 falling to 0.4; no swings.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import gpt2_lm, markov_hf_batches
from prodigyopt import Prodigy

data = markov_hf_batches()

torch.manual_seed(0)
model = gpt2_lm()


def optimizer(params):
    # Prodigy's recipe: lr=1.0 and let it estimate the step size d
    return Prodigy(params, lr=1.0, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
