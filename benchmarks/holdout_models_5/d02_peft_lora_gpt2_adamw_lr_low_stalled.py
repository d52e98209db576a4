"""Same GPT-2 LoRA fine-tune at AdamW lr=5e-5 (the HF Trainer default) -- stalled (lr too low).

Model and data exactly as d01 (peft LoRA r=8 on a tiny random-init GPT-2, Markov-chain tokens). Optimizer:
AdamW(lr=5e-5, weight_decay=0.01): the Trainer's default rate, used for a LoRA run that needs ~1e-3.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d02_peft_lora_gpt2_adamw_lr_low_stalled.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.82 / 2.83 (2) / 2.8 / 2.8           0.354..0.422      4.8e-07..0.85
  20     2.82 / 2.83 (2) / 2.79 / 2.8          0.354..0.437      4.8e-07..0.85
  30     2.82 / 2.83 (2) / 2.78 / 2.8          0.354..0.462      4.8e-07..0.85
  40     2.82 / 2.83 (2) / 2.77 / 2.78         0.354..0.478      4.8e-07..0.85

Why "stalled": the loss barely moves, 2.82 -> 2.78 (min 2.77) in 40 steps, while the same model at a 20x
larger rate (d01, lr=1e-3) reaches 2.26 (2.60 already at 10 steps). Gradients are normal and steady (0.35-0.48).
lora_A matrices move ~7e-4 of their norm per step (median); lora_B shows ~0.05 only because it starts at
exactly zero (peft init), so any step is large against its own tiny norm -- the loss is the evidence here.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import gpt2_lora, markov_hf_batches

data = markov_hf_batches()

torch.manual_seed(0)
model = gpt2_lora()


def optimizer(params):
    return torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy", "frozen"],
    "layers": {"base_model.model.transformer.wte": "frozen"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
