"""x-transformers decoder LM trained with D-Adaptation (DAdaptAdam, lr=1.0) -- healthy.

Model and data as d05/d06 (x-transformers Decoder LM, 103k params, Markov next-token batches).
Optimizer: dadaptation.DAdaptAdam(lr=1.0, weight_decay=0.01, decouple=True), the package's recipe.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d11_xtransformers_lm_dadapt_adam_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.93 / 2.93 (0) / 2.3 / 2.3           1.7..3.38         4.4e-05..0.16
  20     2.93 / 2.93 (0) / 1.28 / 1.34         0.56..3.38        4.4e-05..0.16
  30     2.93 / 2.93 (0) / 1.18 / 1.24         0.449..3.38       4.4e-05..0.16
  40     2.93 / 2.93 (0) / 1.11 / 1.27         0.368..3.38       4.4e-05..0.16

Why "healthy": a 5-step plateau (2.85-2.86) while D-Adaptation's estimate grows, then a steady fall to 2.30
at 10 steps, 1.34 at 20 and 1.11-1.27 at 40; grad norm up to 3.4 around steps 7-9, then 0.37-1.3. Context:
the same optimizer on the tiny Llama (d08's model) overshot (2.27 -> 2.80 at steps 8-13), so this model.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import lm_loss, next_token_batches, xt_lm
from dadaptation import DAdaptAdam

data = next_token_batches()

torch.manual_seed(0)
model = xt_lm()


def loss(output, target):
    return lm_loss(output, target)


def optimizer(params):
    # D-Adaptation's recipe: lr=1.0 and let it estimate the step size
    return DAdaptAdam(params, lr=1.0, weight_decay=0.01, decouple=True)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
