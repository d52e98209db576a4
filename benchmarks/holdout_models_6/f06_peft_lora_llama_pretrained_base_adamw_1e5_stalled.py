"""peft LoRA fine-tune of a tiny Llama pre-trained in the script, AdamW lr=1e-5 (~100x too low) -- stalled.

Model: transformers LlamaForCausalLM from config (vocab 16, hidden 64, intermediate 128, 2 layers, 4 heads, 2 kv
heads, untied head), pre-trained at import for 120 steps (AdamW 2e-3) on Markov chain A (held-out loss 1.10,
entropy 1.04), then wrapped by peft LoRA (r=8, alpha=16, no dropout) on q/k/v/o/gate/up/down_proj: 16,384
trainable params, the base frozen. Data: 16 fixed HF dict batches of 16 x 32 tokens from chain B = every row of
A moved 50% towards a fresh peaked row (a real shift: held-out loss 2.91 on B vs its entropy 1.74; 1.10 on A).
Optimizer: AdamW(lr=1e-5, weight_decay=0.01): a full-fine-tune rate used for LoRA, which wants ~1e-3 (see f04).

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f06_peft_lora_llama_pretrained_base_adamw_1e5_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps (the per-batch loss varies by ~0.3 at any rate):
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  1e-06 (x0.1)           10  2.98 / 2.68 / 3.04  (2.89)   0.226..0.371      0..0.812
                         20  2.98 / 2.68 / 2.92  (2.91)   0.226..0.371      0..0.812
                         30  2.98 / 2.68 / 2.92  (2.92)   0.226..0.371      0..0.812
                         40  2.98 / 2.68 / 2.77  (2.83)   0.226..0.371      0..0.812
  1e-05 (x1)             10  2.98 / 2.68 / 3.04  (2.88)   0.226..0.371      1.23e-07..0.812
                         20  2.98 / 2.68 / 2.92  (2.91)   0.226..0.371      1.23e-07..0.812
                         30  2.98 / 2.68 / 2.92  (2.92)   0.226..0.374      1.23e-07..0.812
                         40  2.98 / 2.68 / 2.76  (2.82)   0.226..0.377      1.23e-07..0.812
  0.0001 (x10)           10  2.98 / 2.67 / 3.03  (2.88)   0.23..0.379       1.01e-06..0.812
                         20  2.98 / 2.67 / 2.9  (2.89)   0.23..0.379       1.01e-06..0.812
                         30  2.98 / 2.66 / 2.88  (2.89)   0.23..0.407       1.01e-06..0.812
                         40  2.98 / 2.64 / 2.72  (2.78)   0.23..0.436       1.01e-06..0.812
  0.0003 (x30)           10  2.98 / 2.66 / 3  (2.86)    0.241..0.395      2.98e-06..0.811
                         20  2.98 / 2.66 / 2.84  (2.84)   0.241..0.395      2.98e-06..0.811
                         30  2.98 / 2.6 / 2.78  (2.79)   0.241..0.455      2.98e-06..0.811
                         40  2.98 / 2.5 / 2.57  (2.63)   0.241..0.517      2.98e-06..0.811
  0.001 (x100)           10  2.98 / 2.62 / 2.89  (2.78)   0.254..0.443      1e-05..0.809
                         20  2.98 / 2.52 / 2.56  (2.58)   0.254..0.56       1e-05..0.809
                         30  2.98 / 2.3 / 2.37  (2.36)   0.254..1.09       1e-05..0.809
                         40  2.98 / 2.05 / 2.09  (2.13)   0.254..1.09       1e-05..0.809

Why "stalled": at 1e-5 the run is indistinguishable from 0.1x (1e-6): mean last 5 of 2.91 at 20 steps and 2.82
at 40 for both -- the small drift is the batch order, not learning. lora_A matrices move ~1.2e-4 of their norm
per step (per-layer medians); lora_B shows ~0.05 only because it starts at exactly 0 (any step is large against
its own tiny norm), and that is what the per-step median-layer range shows. Gradients are normal and steady
(0.23-0.38). 100x (1e-3) takes the loss to 2.58 at 20 steps (-11%) and 2.13 at 40 (-25%); 30x only reaches 2.63
at 40 and 10x is no better than 1e-5 within 40 steps (lora_B starts at 0, so a LoRA's first change is a product
of two small steps: 10-30x is not enough to show it in 20 steps). The rate is far too low for LoRA.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import chain, pretrain, sample, shifted_chain

LR = 1e-5


def _llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=16, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=32, bos_token_id=0, eos_token_id=0,
            tie_word_embeddings=False,
        )
    )  # fmt: skip


def _hf_loss(m, ids):
    return m(input_ids=ids, labels=ids).loss


_A = chain(seed=4)
_B = shifted_chain(_A, rows=16, seed=23, mix=0.5)

torch.manual_seed(0)
_base = _llama()
pretrain(_base, sample(_A, 32, seed=100), _hf_loss, steps=120, lr=2e-3)  # the "pre-trained" base

from peft import LoraConfig, get_peft_model  # noqa: E402

torch.manual_seed(0)
model = get_peft_model(
    _base,
    LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.0, task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    ),
)  # fmt: skip

data = [{"input_ids": s, "labels": s} for s in sample(_B, 16, seed=1)]


def optimizer(params):
    return torch.optim.AdamW(params, lr=LR, weight_decay=0.01)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy", "frozen"],
    "layers": {"base_model.model.model.embed_tokens": "frozen"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
