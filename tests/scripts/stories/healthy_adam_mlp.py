"""Healthy control for spike_adam_mlp.py: the same 3-layer ReLU MLP, data and seed at Adam lr=1e-3.

The loss falls steadily from 1.416 (chance is ln 4 = 1.386) with small batch-to-batch wiggles:
  N=10: start 1.416, max 1.416 (step 0), end 1.332
  N=20: end 1.265;  N=30: end 1.197 (min 1.190);  N=40: end 1.041
The total gradient norm stays 0.26-0.59 (it creeps up from 0.34 as the logits grow: step 39
has the largest, 0.586), the median update ratio is 0.008-0.014 at every step. Only the
learning rate differs from the spiking script, so a rule cannot key on the architecture.

Measured with torch 2.13 CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

IN, WIDTH, CLASSES, BATCH, BATCHES = 20, 64, 4, 64, 4

torch.manual_seed(3)  # the weights do not depend on gradscope's --seed
model = nn.Sequential(nn.Linear(IN, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, CLASSES))

_gen = torch.Generator().manual_seed(4)
_teacher = torch.randn(IN, CLASSES, generator=_gen)
_x = torch.randn(BATCHES * BATCH, IN, generator=_gen)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
