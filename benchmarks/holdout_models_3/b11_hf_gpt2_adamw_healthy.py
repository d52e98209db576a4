"""Tiny Hugging Face GPT-2 (transformers.GPT2LMHeadModel) at GPT-style AdamW settings, char-level text -- healthy.

Model: real public code, `transformers.GPT2LMHeadModel(GPT2Config(vocab_size=98, n_positions=64,
n_embd=64, n_layer=2, n_head=4, dropouts 0))` built from a config (no download), 0.11M parameters,
tied embedding / LM head. Data: characters of the first 200k characters of the WikiText-2
validation text shipped in the pytorch/examples checkout, 8 random batches of 16 x 64; dict batches
{"input_ids", "labels"} (the model shifts the labels itself), loss = `output.loss`. Optimizer:
AdamW(lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1) -- the GPT-2/GPT-3 recipe, no warm-up.

Why "healthy": the loss falls smoothly from 4.61 (ln 98 = 4.58) to 4.01 by step 9 and 3.20 by step
39, never above the start; the gradient norm settles from 3.0 to 1.1-1.9; update ratios ~1e-2 per
step for the matrices, ~3e-4 for the LayerNorm gains (small gradients at init, as usual). Nothing
to fix.

Plain loop: `python benchmarks/holdout_models_3/b11_hf_gpt2_adamw_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm  update ratio, median layer  (all layers)
     10  4.61 / 4.61 (step 0) / 4.01 / 4.01    1.63..3    0.0116..0.03                (0.000266..0.0623)
     20  4.61 / 4.61 (step 0) / 3.68 / 3.68    1.45..3    0.00966..0.03               (0.000183..0.0623)
     30  4.61 / 4.61 (step 0) / 3.4 / 3.4      1.22..3    0.00782..0.03               (0.000172..0.0623)
     40  4.61 / 4.61 (step 0) / 3.2 / 3.2      1.1..3     0.00782..0.03               (0.000157..0.0623)
"""

import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout  # noqa: E402

BLOCK, BATCH = 64, 16
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/valid.txt")
_text = (_root / "word_language_model/data/wikitext-2/valid.txt").read_text(encoding="utf8")[:200_000]
_chars = sorted(set(_text))
_stoi = {c: i for i, c in enumerate(_chars)}
_ids = torch.tensor([_stoi[c] for c in _text])


def _batches() -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(8):
        ix = torch.randint(0, len(_ids) - BLOCK, (BATCH,), generator=g)
        x = torch.stack([_ids[i : i + BLOCK] for i in ix])
        out.append({"input_ids": x, "labels": x})
    return out


data = _batches()

torch.manual_seed(0)
model = GPT2LMHeadModel(
    GPT2Config(
        vocab_size=len(_chars), n_positions=BLOCK, n_embd=64, n_layer=2, n_head=4,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )
)  # fmt: skip


def optimizer(params):
    return torch.optim.AdamW(params, lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
