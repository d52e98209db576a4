"""Tiny Llama (transformers) fine-tuned in pure bfloat16 ("bf16-true") with AdamW(lr=2e-5) -- precision.

Model: real public code, `LlamaForCausalLM(LlamaConfig(vocab 128, hidden 256, intermediate 512, 2 layers,
4 heads / 2 kv heads, untied head, default initializer_range 0.02))`, 1.25M params, converted with
`model.to(torch.bfloat16)` at import (weights, Adam state and updates all bf16, no fp32 master copy).
Data: 2 fixed batches of 16 x 32 tokens from a fixed first-order Markov chain with peaked rows (softmax of
6*N(0,1) logits); chance ln 128 = 4.85. Optimizer: AdamW(lr=2e-5, weight_decay=0.01), a usual fine-tuning rate.
p02 is this model and optimizer in float32; p03 is this model in bf16 at lr=3e-3.

Plain loop (from /work/main, 1 CPU thread; _amp.plain_loop, written without gradscope, trains exactly as
`precision` says):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_precision/p01_hf_llama_bf16_true_adamw_2e-5_precision.py
Measured; "unchanged" = share of the entries with a non-zero gradient whose value is bit-identical after
optimizer.step() (cumulative over the steps so far), per parameter kind:
  steps  loss start / min / end   grad norm    update ratio (median layer)  unchanged: all/emb/lin/norm
  10     4.88 / 4.82 / 4.83       2.61..2.66   5.0e-4..6.9e-4              77.4% / 77% / 77% / 100%
  20     4.88 / 4.75 / 4.77       2.59..2.66   4.9e-4..6.9e-4              78.2% / 78% / 78% / 100%
  30     4.88 / 4.69 / 4.70       2.56..2.66   4.7e-4..6.9e-4              78.6% / 78% / 79% / 100%
  40     4.88 / 4.63 / 4.64       2.54..2.66   4.6e-4..6.9e-4              78.9% / 78% / 79% / 100%

Why "precision": Adam's step is about lr = 2e-5 per entry, but the bf16 spacing at a weight of magnitude
0.008-0.016 is 6.1e-5 (half-spacing 3.1e-5) and above 0.016 it is 1.2e-4, so ~79% of the entries that get a
non-zero gradient never change, and all RMSNorm gains (1.0, half-spacing 3.9e-3) are frozen. The gradients
are normal (2.5-2.7, no trend), nothing is non-finite; only the small entries (|w| below ~0.008) move.
Control (same model, data, seed, optimizer and lr, measured): in float32 ("32-true", p02) the loss is
4.73 / 4.54 / 4.37 / 4.19 at 10/20/30/40 steps (0% unchanged) against 4.83 / 4.77 / 4.70 / 4.64 here; with
fp32 master weights under bf16 autocast ("bf16-mixed") 4.73 / 4.54 / 4.37 / 4.19 as in fp32. Fix: bf16-mixed
(fp32 weights) or an fp32 copy of the weights for the optimizer.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _llama import llama, markov_batches

data = markov_batches()

torch.manual_seed(0)
model = llama().to(torch.bfloat16)
precision = "bf16-true"


def optimizer(params):
    return torch.optim.AdamW(params, lr=2e-5, weight_decay=0.01)


EXPECTED = {
    "verdict": "precision",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import _amp

    _amp.plain_loop(sys.modules[__name__])
