"""Karpathy's nanoGPT (model.py, imported at run time), tiny char-level GPT at its usual AdamW settings -- healthy.

Model: real public code, `GPT(GPTConfig(block_size=64, vocab_size=98, n_layer=2, n_head=4,
n_embd=64, dropout=0.0, bias=False))` from karpathy/nanoGPT model.py (fetched mirror, extracted and
imported under a unique module name by benchmarks/external.py); 0.11M parameters, tied embedding /
LM head. Data: characters of the first 200k characters of the WikiText-2 validation text shipped in
the pytorch/examples checkout (98 distinct characters), 8 random batches of 16 x 64 (+1 shifted
targets). `compute_loss` calls `model(x, y)` and takes nanoGPT's own loss, as train.py does.
Optimizer: AdamW(lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1) -- nanoGPT's shakespeare_char lr
with its GPT-2 betas and weight decay, no warm-up.

Why "healthy": the loss falls smoothly from 4.62 (ln 98 = 4.58, a uniform guess) to 3.83 by step 9
and 2.95 by step 39, never above the start; the gradient norm stays in 0.8-1.8; per-step update
ratios are ~1e-2..3e-2 for the matrices (median per layer; Adam early in training) and ~3e-4 for the LayerNorm gains,
whose gradients are small as usual at init. Nothing to fix.

Plain loop: `python benchmarks/holdout_models_3/b09_nanogpt_adamw_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm    update ratio, median layer  (all layers)
     10  4.62 / 4.62 (step 0) / 3.83 / 3.83    1.38..1.84   0.0186..0.05                (0.000299..0.101)
     20  4.62 / 4.62 (step 0) / 3.42 / 3.46    1.19..1.84   0.0155..0.05                (0.00027..0.101)
     30  4.62 / 4.62 (step 0) / 3.15 / 3.15    0.929..1.84  0.0121..0.05                (0.000237..0.101)
     40  4.62 / 4.62 (step 0) / 2.95 / 2.95    0.812..1.84  0.00931..0.05               (0.000176..0.101)
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout, load_module

_nanogpt = load_module("karpathy/nanoGPT", "model.py")
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/valid.txt")

BLOCK, BATCH = 64, 16
_text = (_root / "word_language_model/data/wikitext-2/valid.txt").read_text(encoding="utf8")[:200_000]
_chars = sorted(set(_text))
_stoi = {c: i for i, c in enumerate(_chars)}
_ids = torch.tensor([_stoi[c] for c in _text])


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(8):
        ix = torch.randint(0, len(_ids) - BLOCK - 1, (BATCH,), generator=g)
        x = torch.stack([_ids[i : i + BLOCK] for i in ix])
        y = torch.stack([_ids[i + 1 : i + BLOCK + 1] for i in ix])
        out.append((x, y))
    return out


data = _batches()

torch.manual_seed(0)
model = _nanogpt.GPT(
    _nanogpt.GPTConfig(
        block_size=BLOCK, vocab_size=len(_chars), n_layer=2, n_head=4, n_embd=64, dropout=0.0, bias=False
    )
)


def compute_loss(model, batch):
    x, y = batch
    _, loss = model(x, y)
    return loss


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
