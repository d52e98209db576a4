"""SGD with momentum 0.9 at lr 2.0 on a BatchNorm MLP: early loss spike, then a slow recovery -- unstable.

Model: plain PyTorch, 3 x (Linear -> BatchNorm1d -> ReLU), width 128, then a 10-class Linear head.
Data: 512 Gaussian points in 20-d, label = argmax of a fixed random linear map, 8 batches of 64.
Optimizer: SGD(lr=2.0, momentum=0.9); at lr 0.5 the same set-up trains smoothly (2.39 -> 0.20 in
40 steps).

Why "unstable": the momentum buffer accumulates oversized steps, the head's logits overshoot and the
cross-entropy climbs from 2.39 (ln 10 = 2.30) to 3.57, 5.85, 6.70 at steps 1-3 -- 2.8x the start,
far above a uniform guess -- then falls back to about the uniform-guess level by step 5 and creeps
below the start only slowly (2.13 at step 19, 1.70 at step 39; a second bump to 4.12 at step 10).
BatchNorm makes the hidden Linear layers scale invariant, which is what lets it recover. The
gradient norm rises only 2.4x at the spike (2.08 -> 4.92), all finite: a learning-rate problem, not
exploding gradients. No ReLU unit is dead (0/128 in every hidden layer).

Plain loop: `python benchmarks/holdout_models_3/b03_sgd_momentum_spike_bn_mlp.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm    update ratio, median layer  (all layers)
     10  2.39 / 6.7 (step 3) / 2.36 / 2.46     0.285..4.92  0.0896..0.677               (0.0117..1.8)
     20  2.39 / 6.7 (step 3) / 2.13 / 2.13     0.285..4.92  0.0315..0.677               (0.0117..1.8)
     30  2.39 / 6.7 (step 3) / 1.65 / 1.65     0.285..4.92  0.0231..0.677               (0.0117..1.8)
     40  2.39 / 6.7 (step 3) / 1.65 / 1.7      0.285..4.92  0.022..0.677                (0.00962..1.8)
"""

import sys
from pathlib import Path

import torch
from torch import nn

_g = torch.Generator().manual_seed(1)
_x = torch.randn(512, 20, generator=_g)
_y = (_x @ torch.randn(20, 10, generator=_g)).argmax(1)
data = list(zip(_x.split(64), _y.split(64), strict=True))

torch.manual_seed(1)
_layers: list[nn.Module] = []
_d = 20
for _ in range(3):
    _layers += [nn.Linear(_d, 128), nn.BatchNorm1d(128), nn.ReLU()]
    _d = 128
model = nn.Sequential(*_layers, nn.Linear(128, 10))


def optimizer(params):
    return torch.optim.SGD(params, lr=2.0, momentum=0.9)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding", "vanishing", "dead"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__], dead_layers=("0", "3", "6"))
