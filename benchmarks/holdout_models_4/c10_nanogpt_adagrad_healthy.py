"""Karpathy's nanoGPT (model.py, imported) on WikiText-2 characters with Adagrad -- healthy.

Model: real public code, `GPT(GPTConfig(block 32, vocab = distinct chars of the text, 2 layers, 4 heads,
n_embd 64, dropout 0, bias False))` from karpathy/nanoGPT model.py (fetched mirror, imported by
benchmarks/external.py), tied embedding / LM head; loss from `model(x, y)`. Data: first 100k characters of
word_language_model/data/wikitext-2/test.txt from the pytorch/examples checkout, 8 random batches of
12 x 32 (+1 shifted targets). Optimizer: Adagrad(lr=3e-3) -- the fourth optimizer family of this set.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c10_nanogpt_adagrad_healthy.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     4.53 / 4.53 (0) / 3.52 / 3.52         1.37..2.02        0.0203..0.151
  20     4.53 / 4.53 (0) / 3.33 / 3.33         1.06..2.02        0.0203..0.151
  30     4.53 / 4.53 (0) / 3.18 / 3.18         0.879..2.02       0.0192..0.151
  40     4.53 / 4.53 (0) / 3.03 / 3.03         0.757..2.02       0.0167..0.151

Why "healthy": the loss falls from 4.53 (~ln of the vocabulary, a uniform guess) steadily to 3.03 and is
still going down at step 40 (past the ~3.2 unigram plateau); gradient norm 0.76-2.0, decreasing; matrices
move 2-4% per step, LayerNorm gains ~0.07%. Context: Adagrad's default lr=1e-2 made the loss drop to the
unigram plateau (~3.1-3.3) within 5 steps and sit there, with a jump to 4.78 at step 15,
so 3e-3 is the sensible setting here.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout, load_module

_nanogpt = load_module("karpathy/nanoGPT", "model.py")
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/test.txt")

BLOCK, BATCH = 32, 12
_path = _root / "word_language_model/data/wikitext-2/test.txt"
_text = _path.read_text(encoding="utf8")[:100_000]
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
    return torch.optim.Adagrad(params, lr=3e-3)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
