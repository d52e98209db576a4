"""Learning-rate spike: Adam at lr=1.0 on a sound 3-layer ReLU MLP (20-64-64-4).

Task: 4 batches of 64 samples, labels = argmax of a fixed random linear teacher (chance loss
ln 4 = 1.386). The same network, data and seed at Adam lr=1e-3 learn steadily
(healthy_adam_mlp.py: 1.416 -> 1.041 in 40 steps), and at lr=0.1 / 0.01 reach 0.077 / 0.004.

At lr=1.0 the first Adam step moves every weight by ~1 (median update ratio 13.6 at step 0:
the update is 14x the weights), the logits blow up and the cross-entropy jumps from 1.416 to
721 at step 1 and 2057 at step 2 (1450x), the total gradient norm from 0.34 to 378 (step 2).
It then falls back (759, 478, 155, 147, 52, 8.9, 39 at steps 3-9), bumps around 2.8-23 until
step 19, and from step 20 on hovers around chance (1.21-1.74) with bursts (2.4-3.95 at steps
23, 24, 30, 36-39; 14.95 at step 35). It ends no lower than it started at every step count:
  N=10: start 1.416, max 2057 (step 2), end 39.45
  N=20: start 1.416, max 2057 (step 2), end 3.395
  N=30: start 1.416, max 2057 (step 2), end 1.434  (min 1.293)
  N=40: start 1.416, max 2057 (step 2), end 2.515  (min 1.210)
Median update ratio falls from 13.6 (step 0) to 0.0075-0.012 at the end. Side effect of the
spike: the second hidden layer's ReLUs die progressively (units never active on the 256 samples:
47% at step 3, 66% at step 12, 81% at step 39; the first layer keeps all its units), and at
step 21 every unit is off for that batch so all weight gradients are exactly 0. Layer "2" may
therefore fairly be reported dead. The fix is a smaller learning rate.

Measured with torch 2.13 CPU (2 and 1 threads give identical figures).
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
    return torch.optim.Adam(params, lr=1.0)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {
    "verdict": "unstable",
    "layers": {},
    "others": ["healthy", "dead"],  # layer "2" ends with 81% of its ReLU units dead
    "recommend": ["learning_rate"],
}
