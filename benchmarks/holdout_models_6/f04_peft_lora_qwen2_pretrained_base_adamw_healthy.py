"""peft LoRA fine-tune of a tiny Qwen2 pre-trained in the script, AdamW lr=2e-3 -- healthy.

Model: transformers Qwen2ForCausalLM from config (vocab 16, hidden 64, intermediate 128, 2 layers, 4 heads, 2 kv
heads, untied head), pre-trained at import for 120 steps (AdamW 2e-3) on Markov chain A (held-out loss 1.16 =
its entropy), then wrapped by peft LoRA (r=8, alpha=16, no dropout) on q/k/v/o/gate/up/down_proj: 16,384
trainable params, the base frozen. Data: 16 fixed HF dict batches of 16 x 32 tokens from chain B = every row of
A moved 25% towards a fresh peaked row. Optimizer: AdamW(lr=2e-3, weight_decay=0.01) over the LoRA parameters.

Plain loop (from /work/main, 1 CPU thread; the same loop with the rate multiplied for the comparison rows):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_6/f04_peft_lora_qwen2_pretrained_base_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||;
"mean last 5" = mean loss of the last 5 steps:
  lr (x own rate)    steps  loss start / min / end  (mean last 5)   total grad norm   median-layer update ratio
  0.0002 (x0.1)          10  2.19 / 1.91 / 2.19  (2.08)   0.142..0.216      2.03e-06..0.74
                         20  2.19 / 1.91 / 1.99  (2.05)   0.142..0.216      2.03e-06..0.74
                         30  2.19 / 1.89 / 2.1  (2.08)   0.142..0.254      2.03e-06..0.74
                         40  2.19 / 1.87 / 1.93  (1.97)   0.142..0.312      2.03e-06..0.74
  0.002 (x1)             10  2.19 / 1.87 / 2.03  (1.98)   0.147..0.296      2e-05..0.736
                         20  2.19 / 1.7 / 1.75  (1.79)   0.147..0.398      2e-05..0.736
                         30  2.19 / 1.63 / 1.7  (1.72)   0.147..0.409      2e-05..0.736
                         40  2.19 / 1.56 / 1.64  (1.64)   0.147..0.409      2e-05..0.736
  0.02 (x10)             10  2.19 / 1.7 / 1.81  (1.76)   0.147..2.11       0.0002..0.693
                         20  2.19 / 1.67 / 1.71  (1.76)   0.147..4.66       0.0002..0.693
                         30  2.19 / 1.63 / 1.7  (1.75)   0.147..4.66       0.0002..0.693
                         40  2.19 / 1.57 / 1.67  (1.67)   0.147..4.66       0.0002..0.693
  0.06 (x30)             10  2.19 / 1.98 / 2.77  (2.91)   0.147..5.23       0.0006..0.707
                         20  2.19 / 1.98 / 2.71  (2.72)   0.125..5.23       0.0006..0.707
                         30  2.19 / 1.98 / 2.7  (2.71)   0.077..5.23       0.0006..0.707
                         40  2.19 / 1.98 / 2.68  (2.66)   0.077..5.23       0.0006..0.707

Why "healthy": the loss falls steadily, 2.19 -> 1.79 (mean last 5) at 20 steps and 1.64 at 40 (-25%); grad
norm 0.15-0.41; per layer (median over steps) lora_A moves ~1-2% and lora_B ~4-5% per step (lora_B starts at
exactly 0 in peft, so its first ratios are large against its own tiny norm). A 10x larger rate is no better
(1.76 at 20, 1.67 at 40) and spikes the grad norm to 4.7; 30x diverges to ~2.7. 0.1x is clearly slower (2.05 /
1.97). 2e-3 is about the best rate for this LoRA run. The frozen base (all base Linear layers, the embedding,
the norms) is frozen by design.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import chain, pretrain, sample, shifted_chain

LR = 2e-3


def _qwen2():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    return Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=16, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=32, bos_token_id=0, eos_token_id=0,
            tie_word_embeddings=False,
        )
    )  # fmt: skip


def _hf_loss(m, ids):
    return m(input_ids=ids, labels=ids).loss


_A = chain(seed=0)
_B = shifted_chain(_A, rows=16, seed=11, mix=0.25)

torch.manual_seed(0)
_base = _qwen2()
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
    "verdict": "healthy",
    "others": ["healthy", "frozen"],
    "layers": {"base_model.model.model.embed_tokens": "frozen"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
