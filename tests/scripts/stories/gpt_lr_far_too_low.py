"""A learning rate a thousand times too low under AdamW (issue 23, story 1): the weight-tied
nanoGPT-style model and character data of gpt_healthy.py at AdamW lr=1e-6 instead of 1e-3.

Adam's steps are about the learning rate in size whatever the gradient, so the weights move
about 1e-5 of their size per step while the gradients keep a normal size, and the loss stays
within the scatter of its batches (3.78 -> about 3.7 over 40 steps); at lr 1e-3 (gpt_healthy.py)
it reaches 2.1 within 20 steps. Running this file prints the per-step table.
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


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-6, betas=(0.9, 0.95), weight_decay=0.1)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, lambda batch: compute_loss(model, batch))


EXPECTED = {"verdict": "stalled", "layers": {}, "others": ["healthy"], "recommend": ["learning_rate"]}
