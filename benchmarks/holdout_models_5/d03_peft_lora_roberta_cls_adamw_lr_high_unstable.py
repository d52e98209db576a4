"""Tiny RoBERTa classifier LoRA fine-tune (peft) at AdamW lr=0.5 -- unstable (lr too high).

Model: RobertaForSequenceClassification(vocab 32, hidden 64, 2 layers, 4 heads, 2 labels, random init) with
peft LoRA r=8 on query/value and the classification head trained in full (task_type SEQ_CLS ->
modules_to_save), 8,386 trainable params. Data: 8 fixed batches of 16 x 16 tokens; label = first token in
the lower half of the vocabulary (balanced, chance loss ln 2 = 0.693). Optimizer: AdamW(lr=0.5) -- e.g.
"5e-4" mistyped, or a rate meant for a sign optimizer.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d03_peft_lora_roberta_cls_adamw_lr_high_unstable.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     0.693 / 30.7 (6) / 0.693 / 9.1        0.49..8.55        0.005..0.65
  20     0.693 / 30.7 (6) / 0.693 / 7.78       0.49..19.6        0.005..0.65
  30     0.693 / 30.7 (6) / 0.693 / 3.49       0.49..19.6        0.005..0.65
  40     0.693 / 30.7 (6) / 0.693 / 7.8        0.49..19.6        0.005..0.65

Why "unstable": after step 0 the loss never gets back to its start (0.693): it jumps to 21.8 at step 2 and
swings between 0.86 and 30.7 for the rest of the run (e.g. 23.4 -> 6.3 -> 11.9; 0.86 -> 5.2 -> 7.8 at the end);
gradients stay finite with bursts (total 0.49 at step 0, then 2.8-19.6). The median layer moves up to 65% of
its norm in one step. Control: the same model at lr=2e-3 (d04) falls 0.693 -> 0.199.
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
    return torch.optim.AdamW(params, lr=0.5, weight_decay=0.01)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "frozen"],
    "layers": {"base_model.model.roberta.embeddings.word_embeddings": "frozen"},
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
