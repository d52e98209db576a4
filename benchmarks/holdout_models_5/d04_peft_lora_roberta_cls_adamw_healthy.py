"""Tiny RoBERTa classifier LoRA fine-tune (peft) at AdamW lr=2e-3 -- healthy.

Model and data exactly as d03 (peft LoRA r=8 on query/value of a random-init RoBERTa, classification head
in modules_to_save). Optimizer: AdamW(lr=2e-3, weight_decay=0.01).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d04_peft_lora_roberta_cls_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     0.693 / 0.742 (5) / 0.651 / 0.654     0.227..0.814      2e-05..0.075
  20     0.693 / 0.742 (5) / 0.58 / 0.608      0.227..0.814      2e-05..0.075
  30     0.693 / 0.742 (5) / 0.438 / 0.46      0.227..0.902      2e-05..0.075
  40     0.693 / 0.742 (5) / 0.172 / 0.199     0.227..0.971      2e-05..0.075

Why "healthy": the loss falls from chance 0.693 to 0.199 (min 0.172) at 40 steps, after a small early bump
(0.742 at step 5) and a slow first 10 steps (0.654); grad norm 0.23-0.97; the median layer moves up to 7.5% per step.
Control: lr=0.5 (d03) swings between 0.86 and 30.7 and never gets back under 0.693; lr=1e-3 reaches 0.49.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import classification_batches, roberta_cls_lora

data = classification_batches()

torch.manual_seed(0)
model = roberta_cls_lora()


def optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy", "frozen"],
    "layers": {"base_model.model.roberta.embeddings.word_embeddings": "frozen"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
