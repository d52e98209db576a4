"""Tiny GPT-NeoX LM (transformers) trained with plain SGD at lr=1e-4 -- stalled (lr too low).

Same model and data as c06 (GPTNeoXForCausalLM, 18.2k params, Markov-chain tokens), but SGD(lr=1e-4) with
no momentum: an Adam-style lr given to SGD.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c15_hf_gptneox_sgd_lr_too_low_stalled.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.78 / 2.78 (7) / 2.77 / 2.78         1.96..2.32        3.7e-05..4.4e-05
  20     2.78 / 2.78 (7) / 2.77 / 2.77         1.95..2.32        3.7e-05..4.4e-05
  30     2.78 / 2.78 (7) / 2.76 / 2.77         1.95..2.32        3.7e-05..4.4e-05
  40     2.78 / 2.78 (7) / 2.76 / 2.77         1.94..2.32        3.7e-05..4.4e-05

Why "stalled": the gradients are normal (total 1.9-2.3, per layer the same as in c06 at the start: 0.14-1.0
for the matrices) but the weights move only ~4e-5 of their norm per step (LayerNorm gains ~2e-7), so the
loss stays at chance, 2.78 -> 2.77 after 40 steps. Fix measured: SGD(lr=0.3, momentum=0.9) takes it to 1.2-1.3
in 40 steps; AdamW(lr=2e-3) (c06) to 1.53.
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
    return torch.optim.SGD(params, lr=1e-4)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
