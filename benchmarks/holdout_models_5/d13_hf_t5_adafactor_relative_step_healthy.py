"""Tiny T5 with Adafactor, the T5 recipe (relative_step, scale_parameter, no warmup_init) -- healthy.

Model and data as d12 (T5 tiny, continue-the-Markov-chain seq2seq). Optimizer: transformers
Adafactor(lr=None, relative_step=True, scale_parameter=True, warmup_init=False): relative step
min(1e-2, 1/sqrt(t)) x RMS of each weight.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d13_hf_t5_adafactor_relative_step_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     4.46 / 4.46 (0) / 1.79 / 1.79         1.29..4.66        0.0064..0.01
  20     4.46 / 4.46 (0) / 1.32 / 1.41         1.12..4.66        0.0064..0.01
  30     4.46 / 4.46 (0) / 1.23 / 1.37         1.12..4.66        0.0064..0.01
  40     4.46 / 4.46 (0) / 1.14 / 1.38         1.04..4.66        0.0064..0.01

Why "healthy": the loss falls 4.46 -> 1.79 in 10 steps, 1.41 at 20, 1.38 at 40 (min 1.14); grad norm 4.7
falling to ~1.1-1.5; the median layer moves 0.6-1% per step. Control for d12 (warmup_init=True, stays at 4.39).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import seq2seq_batches, t5_model
from transformers.optimization import Adafactor

data = seq2seq_batches()

torch.manual_seed(0)
model = t5_model()


def optimizer(params):
    # the T5 recipe without the warm-up: lr=None, relative_step, scale_parameter
    return Adafactor(params, lr=None, relative_step=True, scale_parameter=True, warmup_init=False)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
