"""Tiny T5 with Adafactor, the T5 recipe with warmup_init=True -- stalled (lr too low for 40 steps).

Model: T5ForConditionalGeneration(vocab 16, d_model 64, d_kv 16, d_ff 128, 2+2 layers, 4 heads), 166k
params. Data: Markov-chain sequences, the encoder reads 16 tokens, the decoder predicts the next 16.
Optimizer: transformers Adafactor(lr=None, relative_step=True, scale_parameter=True, warmup_init=True):
with warmup_init the relative step is 1e-6 x step, so after 40 steps it is still only 4e-5 (x the RMS of
each weight).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d12_hf_t5_adafactor_warmup_init_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     4.46 / 4.48 (7) / 4.29 / 4.29         4.4..4.91         1e-06..1e-05
  20     4.46 / 4.48 (7) / 4.28 / 4.44         4.4..4.91         1e-06..2e-05
  30     4.46 / 4.48 (7) / 4.26 / 4.41         4.39..4.91        1e-06..3e-05
  40     4.46 / 4.48 (7) / 4.23 / 4.39         4.34..4.91        1e-06..4e-05

Why "stalled": the weights move 1e-6..4e-5 of their norm per step and the loss keeps its per-batch pattern,
4.46 -> 4.39 at 40 steps (min 4.23 at step 33 is batch 1, which gave 4.30 at step 1), with steady normal gradients
(4.3-4.9). Control: the same recipe without warmup_init (d13: relative step min(1e-2, 1/sqrt(t))) reaches
1.79 at 10 steps and 1.38 at 40.
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
    # the T5 recipe with warm-up: lr=None, relative_step, scale_parameter, warmup_init
    return Adafactor(params, lr=None, relative_step=True, scale_parameter=True, warmup_init=True)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
