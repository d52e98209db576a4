"""Tiny HF Llama, frozen embeddings, AdamW groups that miss the final norm -- healthy, one frozen, one not optimised.

Model: real public code, `transformers.LlamaForCausalLM(LlamaConfig(vocab_size=98, hidden_size=64,
intermediate_size=172, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))` built
from a config (no download; RMSNorm, rotary positions, SwiGLU, grouped-query attention, untied LM
head). The input embedding `model.embed_tokens` is frozen (requires_grad=False), a common
fine-tuning choice. Data: characters of the WikiText-2 validation text from the pytorch/examples
checkout, 8 random batches of 16 x 64; dict batches {"input_ids", "labels"}, loss = `output.loss`.
Optimizer: AdamW(lr=1e-3, betas=(0.9, 0.95)) with two hand-built groups -- matrices with weight
decay 0.1, and "the norm gains of the layers" without, selected with `"layers" in name` -- which
silently leaves out the final RMSNorm `model.norm` (a 1-D tensor outside model.layers): it gets a
gradient every step but the optimizer does not hold it, so it never changes.

Why: training itself is healthy (loss 4.61 = ln 98 -> 3.90 by step 9 -> 2.99 by step 39, smooth;
update ratios ~1e-2 per step for the matrices); per layer, `model.embed_tokens` is frozen (no grad,
by design) and `model.norm` is not optimised (update ratio exactly 0 although its gradient norm is
non-zero on every step and grows steadily, 0.02 -> 3.7, the largest of any layer by the end: the
total gradient norm rises 1.9 -> 3.8 because of it) -- the bug to report. Everything else is healthy.

Plain loop: `python benchmarks/holdout_models_3/b18_hf_llama_frozen_embed_missing_norm.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm   update ratio, median layer  (all layers)
     10  4.61 / 4.61 (step 0) / 3.9 / 3.9      1.65..1.86  0.0187..0.0498              (0..0.0507)
     20  4.61 / 4.61 (step 0) / 3.44 / 3.44    1.65..2.16  0.0136..0.0498              (0..0.0507)
     30  4.61 / 4.61 (step 0) / 3.16 / 3.19    1.65..2.94  0.0114..0.0498              (0..0.0507)
     40  4.61 / 4.61 (step 0) / 2.96 / 2.99    1.65..3.76  0.0104..0.0498              (0..0.0507)
"""

import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402
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
    g = torch.Generator().manual_seed(2)
    out = []
    for _ in range(8):
        ix = torch.randint(0, len(_ids) - BLOCK, (BATCH,), generator=g)
        x = torch.stack([_ids[i : i + BLOCK] for i in ix])
        out.append({"input_ids": x, "labels": x})
    return out


data = _batches()

torch.manual_seed(0)
model = LlamaForCausalLM(
    LlamaConfig(
        vocab_size=len(_chars), hidden_size=64, intermediate_size=172, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=BLOCK,
    )
)  # fmt: skip
model.model.embed_tokens.weight.requires_grad_(False)


def optimizer(params):  # noqa: ARG001 -- builds its own groups from `model`, as the buggy original did
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in named if p.dim() >= 2]
    norms = [p for n, p in named if p.dim() < 2 and "layers" in n]  # bug: misses model.norm.weight
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": norms, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95)
    )


EXPECTED = {
    "verdict": "healthy",
    "layers": {"model.embed_tokens": "frozen", "model.norm": "not_optimized"},
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
