"""Tiny GPT-2 full fine-tune (pre-trained in the script) at AdamW lr=5e-5 -- healthy (slow, steady fine-tune).

Model: transformers GPT2LMHeadModel from config (vocab 16, n_embd 256, 2 layers, 4 heads, no dropout, tied
head), 1.59M params. At import it is pre-trained for 60 steps (AdamW 2e-3) on token sequences of Markov chain A
(held-out loss 1.19 there, entropy 1.16; 1.73 on chain B), then exposed for a full fine-tune on chain B: every
row of A moved 15% towards a fresh peaked row (entropy 1.42): 16 fixed Hugging Face dict batches of 16 x 32
tokens. Optimizer: AdamW(lr=5e-5, weight_decay=0.01), every parameter trained.

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f01_hf_gpt2_full_finetune_adamw_5e5_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps (the per-batch loss varies by ~0.1):
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  5e-06 (x0.1)           10  1.73 / 1.62 / 1.67  (1.68)   0.993..1.26       0.000115..0.000207
                         20  1.73 / 1.61 / 1.62  (1.66)   0.979..1.26       0.000111..0.000207
                         30  1.73 / 1.6 / 1.62  (1.66)   0.964..1.26       0.000107..0.000207
                         40  1.73 / 1.6 / 1.7  (1.64)   0.936..1.26       0.000104..0.000207
  5e-05 (x1)             10  1.73 / 1.59 / 1.62  (1.65)   0.927..1.26       0.00103..0.00207
                         20  1.73 / 1.56 / 1.56  (1.58)   0.796..1.26       0.000881..0.00207
                         30  1.73 / 1.52 / 1.54  (1.58)   0.758..1.26       0.000753..0.00207
                         40  1.73 / 1.51 / 1.6  (1.54)   0.711..1.26       0.000666..0.00207
  0.0005 (x10)           10  1.73 / 1.52 / 1.54  (1.56)   0.876..1.28       0.00686..0.0207
                         20  1.73 / 1.46 / 1.46  (1.48)   0.703..1.28       0.00474..0.0207
                         30  1.73 / 1.44 / 1.49  (1.47)   0.654..1.28       0.00398..0.0207
                         40  1.73 / 1.42 / 1.53  (1.45)   0.654..1.28       0.00357..0.0207
  0.0015 (x30)           10  1.73 / 1.57 / 1.57  (1.61)   0.719..3.48       0.0149..0.062
                         20  1.73 / 1.48 / 1.51  (1.51)   0.719..3.48       0.0111..0.062
                         30  1.73 / 1.43 / 1.5  (1.5)   0.69..3.48        0.0103..0.062
                         40  1.73 / 1.43 / 1.54  (1.48)   0.69..3.48        0.00912..0.062

Why "healthy": the fine-tune loss falls steadily at its own rate, 1.73 -> 1.58 (mean of the last 5) at 20 steps
and 1.54 at 40 (-11%), with a smooth grad norm (1.26 falling to 0.71) and fine-tune-sized updates (median layer
0.07-0.2% per step). A 10x larger rate is only ~6% lower at 20 steps (1.48) and ~6% at 40 (1.45); 30x is no
better than 10x (1.51 / 1.48) and shows a grad-norm spike to 3.5 on its first steps. So the slowness is the
usual gentle fine-tune pace on a model already near its new target, not a rate far too low: the loss moves, and
a clearly larger rate does not make it fall far more. (0.1x does stall: 1.66 / 1.64.)
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import chain, pretrain, sample, shifted_chain

LR = 5e-5


def _gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(
        GPT2Config(
            vocab_size=16, n_positions=32, n_embd=256, n_layer=2, n_head=4, resid_pdrop=0.0, embd_pdrop=0.0,
            attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        )
    )  # fmt: skip


def _hf_loss(m, ids):
    return m(input_ids=ids, labels=ids).loss


_A = chain(seed=0)
_B = shifted_chain(_A, rows=16, seed=7, mix=0.15)

torch.manual_seed(0)
model = _gpt2()
pretrain(model, sample(_A, 32, seed=100), _hf_loss, steps=60, lr=2e-3)

data = [{"input_ids": s, "labels": s} for s in sample(_B, 16, seed=1)]


def optimizer(params):
    return torch.optim.AdamW(params, lr=LR, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
