"""nanoGPT char LM from scratch at AdamW lr=3e-6 (~300x too low) -- stalled.

Model: karpathy/nanoGPT model.py GPT (imported from the read-only mirror by benchmarks/external.py), block 64, 3
layers, 4 heads, n_embd 96, no bias, no dropout, tied embedding / head: 348,000 params. Data: characters of the
first 200k characters of the WikiText-2 validation text from the pytorch/examples checkout, 16 random batches of
16 x 64 (+1 shifted targets); `compute_loss` takes nanoGPT's own loss from model(x, y). Optimizer:
AdamW(lr=3e-6, betas=(0.9, 0.95), weight_decay=0.1).

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f07_nanogpt_char_lm_adamw_3e6_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps:
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  3e-07 (x0.1)           10  4.61 / 4.61 / 4.61  (4.61)   2.42..2.62        1.14e-05..1.5e-05
                         20  4.61 / 4.6 / 4.61  (4.61)   2.42..2.63        1.14e-05..1.5e-05
                         30  4.61 / 4.6 / 4.61  (4.61)   2.42..2.63        1.13e-05..1.5e-05
                         40  4.61 / 4.6 / 4.61  (4.61)   2.42..2.63        1.13e-05..1.5e-05
  3e-06 (x1)             10  4.61 / 4.59 / 4.59  (4.6)   2.46..2.63        0.000114..0.00015
                         20  4.61 / 4.57 / 4.58  (4.58)   2.46..2.73        0.000114..0.00015
                         30  4.61 / 4.55 / 4.56  (4.56)   2.46..2.73        0.000114..0.00015
                         40  4.61 / 4.53 / 4.53  (4.54)   2.46..2.85        0.000114..0.00015
  3e-05 (x10)            10  4.61 / 4.43 / 4.43  (4.47)   2.53..2.89        0.00114..0.0015
                         20  4.61 / 4.24 / 4.24  (4.27)   2.44..2.89        0.00103..0.0015
                         30  4.61 / 4.16 / 4.16  (4.18)   2.09..2.89        0.000843..0.0015
                         40  4.61 / 4.1 / 4.11  (4.11)   2.02..2.89        0.000732..0.0015
  9e-05 (x30)            10  4.61 / 4.19 / 4.19  (4.25)   2.1..2.92         0.00289..0.0045
                         20  4.61 / 4.04 / 4.04  (4.07)   1.99..2.92        0.00201..0.0045
                         30  4.61 / 3.95 / 3.95  (3.98)   1.91..2.92        0.00152..0.0045
                         40  4.61 / 3.85 / 3.86  (3.87)   1.88..2.92        0.00152..0.0045
  0.0009 (x300)          10  4.61 / 3.64 / 3.64  (3.75)   1.75..2.58        0.0156..0.045
                         20  4.61 / 3.13 / 3.13  (3.19)   1.28..2.58        0.0119..0.045
                         30  4.61 / 2.87 / 2.87  (2.95)   0.843..2.58       0.00993..0.045
                         40  4.61 / 2.71 / 2.77  (2.75)   0.802..2.58       0.00944..0.045

Why "stalled": from a fresh init (loss 4.61, about ln of the character vocabulary) the loss barely moves: 4.58
at 20 steps, 4.54 at 40 (-1.5%), with the matrices moving ~1.1e-4 of their norm per step and steady normal
gradients (2.5-2.9). 10x reaches 4.27 at 20 steps, 30x 4.07 (-11%) and 3.87 at 40, and nanoGPT's usual rate
(300x, 9e-4) 3.19 at 20 and 2.75 at 40. The rate is far too low.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout, load_module

LR = 3e-6

_nanogpt = load_module("karpathy/nanoGPT", "model.py")
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/valid.txt")

BLOCK, BATCH = 64, 16
_text = (_root / "word_language_model/data/wikitext-2/valid.txt").read_text(encoding="utf8")[:200_000]
_chars = sorted(set(_text))
_stoi = {c: i for i, c in enumerate(_chars)}
_ids = torch.tensor([_stoi[c] for c in _text])


def _batches():
    g = torch.Generator().manual_seed(3)
    out = []
    for _ in range(16):
        ix = torch.randint(0, len(_ids) - BLOCK - 1, (BATCH,), generator=g)
        x = torch.stack([_ids[i : i + BLOCK] for i in ix])
        y = torch.stack([_ids[i + 1 : i + BLOCK + 1] for i in ix])
        out.append((x, y))
    return out


data = _batches()

torch.manual_seed(0)
model = _nanogpt.GPT(
    _nanogpt.GPTConfig(
        block_size=BLOCK, vocab_size=len(_chars), n_layer=3, n_head=4, n_embd=96, dropout=0.0, bias=False
    )
)


def compute_loss(model, batch):
    x, y = batch
    _, loss = model(x, y)
    return loss


def optimizer(params):
    # nanoGPT's AdamW betas and weight decay, at a rate ~300x below what this model takes
    return torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.95), weight_decay=0.1)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
