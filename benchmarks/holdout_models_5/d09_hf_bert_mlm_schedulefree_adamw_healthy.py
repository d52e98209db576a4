"""Tiny BERT masked LM trained with schedule-free AdamW (schedulefree) -- healthy.

Model: BertForMaskedLM(vocab 20, hidden 64, 2 layers, 4 heads), 74,836 params. Data: the Markov-chain
tokens with a fixed 15% of positions replaced by [MASK], labels -100 elsewhere. Optimizer:
schedulefree.AdamWScheduleFree(lr=2.5e-3, warmup_steps=0, weight_decay=0.01), put in train mode
(optimizer.train()) before it is returned, as the package requires.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d09_hf_bert_mlm_schedulefree_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     3 / 3 (0) / 2.73 / 2.73               1.14..2.78        0.016..0.12
  20     3 / 3 (0) / 2.6 / 2.61                1.08..2.78        0.016..0.12
  30     3 / 3 (0) / 2.53 / 2.58               1.08..2.78        0.016..0.12
  40     3 / 3 (0) / 2.44 / 2.44               1.08..2.78        0.016..0.12

Why "healthy": the loss falls steadily 3.00 -> 2.73 (10) -> 2.61 (20) -> 2.44 (40) (per-batch noise of the
masked positions on top); grad norm 1.1-2.8; the median layer moves 1.6-12% per step.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import bert_mlm, mlm_batches
from schedulefree import AdamWScheduleFree

data = mlm_batches()

torch.manual_seed(0)
model = bert_mlm()


def optimizer(params):
    opt = AdamWScheduleFree(params, lr=2.5e-3, warmup_steps=0, weight_decay=0.01)
    opt.train()  # schedule-free optimizers must be put in train mode before stepping
    return opt


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
