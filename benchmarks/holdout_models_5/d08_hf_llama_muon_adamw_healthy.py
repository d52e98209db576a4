"""Tiny Llama (transformers) trained with torch.optim.Muon + AdamW -- healthy.

Model: LlamaForCausalLM(vocab 16, hidden 64, 2 layers, 4 heads, 2 KV heads, untied head), 76k params, on
the Markov-chain HF dict batches. Optimizer: the usual Muon recipe as one torch.optim.Optimizer
(_opt.MuonWithAdamW): torch.optim.Muon(lr=0.02, adjust_lr_fn="match_rms_adamw") for the hidden 2-D weight
matrices, AdamW(lr=1e-3) for embeddings, LM head and the RMSNorm gains; weight_decay 0.01 for both.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d08_hf_llama_muon_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.81 / 2.81 (0) / 1.92 / 1.92         1.27..2.09        0.11..0.14
  20     2.81 / 2.81 (0) / 1.67 / 1.7          1.1..2.09         0.067..0.14
  30     2.81 / 2.81 (0) / 1.48 / 1.49         0.9..2.09         0.046..0.14
  40     2.81 / 2.81 (0) / 1.32 / 1.42         0.735..2.09       0.034..0.14

Why "healthy": the loss falls steadily 2.81 -> 1.92 (10) -> 1.70 (20) -> 1.32-1.42 (40), grad norm 2.1
falling to 0.74; the median layer moves 11-14% per step early (Muon's orthogonalised steps), settling to ~3%.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lm import llama_lm, markov_hf_batches
from _opt import MuonWithAdamW

data = markov_hf_batches()

torch.manual_seed(0)
model = llama_lm()


def optimizer(params):
    # Muon for the hidden matrices; embeddings and LM head (2-D, but not hidden layers) go to AdamW
    emb = {id(model.get_input_embeddings().weight), id(model.get_output_embeddings().weight)}
    return MuonWithAdamW(params, muon_lr=0.02, adamw_lr=1e-3, weight_decay=0.01, adamw_ids=emb)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
