"""nanoGPT-style character model at AdamW lr=0.1: the loss climbs to ~3.5x its start, then recovers.

Model: weight-tied 4-layer x 128-wide causal transformer (token + position embeddings, pre-LN
blocks with causal self-attention and a GELU MLP, final LayerNorm, head tied to wte; nanoGPT
init). Data: character level, block 32, batch 8, 40 distinct batches from the start of the
stdlib's pydoc_data/topics.py restricted to its 65 most frequent characters (V = 65,
ln V = 4.17, 2 ln V = 8.35). The initial loss, 3.78, is a little below ln V because the tied
embedding makes the current character slightly favoured.

At lr=0.1 the first AdamW step changes the weights 5x their own size (median update ratio 5.0);
the loss goes 3.78, 4.69, 13.08 (step 2, already > 2 ln V), 8.24, 9.57, 5.99, 10.80, 13.24
(step 7, the max, 3.5x the start), 8.35, 8.58, 8.53, 7.84, then recovers: 3.11 at step 13,
~2.5-3.7 for steps 19-39, 2.55 at step 39. Gradient norm 14.4 at step 0, peak 26.5 at step 4,
then 0.6-2.9 from step 17 on.
  N=10: start 3.778, max 13.24 (step 7), end 8.579
  N=20: start 3.778, max 13.24 (step 7), end 2.947
  N=30: start 3.778, max 13.24 (step 7), end 2.874 (min 2.490)
  N=40: start 3.778, max 13.24 (step 7), end 2.546 (min 2.490)
With one thread (OMP_NUM_THREADS=1) the chaotic part differs in detail: max 13.08 at step 2,
peak grad norm 39.2 at step 4, end 2.69 at 40 steps; same story. At lr=0.01 the spike is 5.5
(step 4); at lr=1e-3 (gpt_healthy.py) there is none.

Measured with torch 2.13 CPU, 2 threads.
"""

import torch
from _gpt import GPT, char_batches
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = GPT()
data = char_batches()


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    idx, targets = batch
    logits = model(idx)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _loss_of(batch):
    return compute_loss(model, batch)


def optimizer(params):
    return torch.optim.AdamW(params, lr=0.1)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"]}
