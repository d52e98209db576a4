"""Dead ReLUs: every hidden unit of a ReLU MLP is switched off by a large negative bias.

The two hidden Linear layers have their biases initialised to -6. fc1's pre-activations are
w.x - 6 with w.x of standard deviation ~0.6, and fc2's are just its bias (its inputs are all
0), so every ReLU outputs 0 for every input and passes back zero gradient. The hidden layers'
weight gradients are exactly zero (present, not None) at every step and they never change; the
output layer only sees zeros, so just its bias learns, and the loss stays at the class-prior
level (~ln 4). Typical causes are this kind of init or a too-high learning rate; fixes are a
sane bias init, LeakyReLU/GELU, or normalisation.
"""

from collections import OrderedDict

import torch
from torch import nn

IN, HIDDEN, CLASSES, BATCH = 32, 128, 4, 64

model = nn.Sequential(
    OrderedDict(
        fc1=nn.Linear(IN, HIDDEN),
        relu1=nn.ReLU(),
        fc2=nn.Linear(HIDDEN, HIDDEN),
        relu2=nn.ReLU(),
        out=nn.Linear(HIDDEN, CLASSES),
    )
)
for _layer in (model.fc1, model.fc2):
    nn.init.constant_(_layer.bias, -6.0)

_teacher = torch.randn(IN, CLASSES)
_x = torch.randn(6 * BATCH, IN)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))

EXPECTED = {
    "verdict": "dead",
    "layers": {"fc1": "dead", "fc2": "dead"},
    "others": ["healthy", "dead", "vanishing"],
    "recommend": [],
}
