"""Learning rate far too high: a sound 2-hidden-layer Tanh MLP trained with SGD at lr=8.

The same network learns this teacher-labelled 4-class task well with SGD lr=0.5 (loss 1.4 ->
0.4 in 20 steps). At lr=8 every step overshoots: updates are about as large as the weights
themselves (update ratio ~0.1-1), the logits swing to large values and the cross-entropy jumps
from 1.4 to tens, going up and down from step to step. Because the tanh activations are bounded
and cross-entropy's gradient w.r.t. the logits is too, the gradients stay finite and modest (a
few units, at most ~10) over all 20 steps: no NaN, nothing exploding. The fix is a smaller learning rate.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, HIDDEN, CLASSES, BATCH = 20, 64, 4, 64

model = nn.Sequential(
    nn.Linear(IN, HIDDEN),
    nn.Tanh(),
    nn.Linear(HIDDEN, HIDDEN),
    nn.Tanh(),
    nn.Linear(HIDDEN, CLASSES),
)
_teacher = nn.Sequential(nn.Linear(IN, 32), nn.Tanh(), nn.Linear(32, CLASSES))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN)
    with torch.no_grad():
        return x, _teacher(x).argmax(dim=1)


data = [_batch() for _ in range(8)]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=8.0)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"], "recommend": ["learning_rate"]}
