"""Adam at lr 0.3 on a pre-LayerNorm residual MLP classifier: the loss spikes early, then recovers -- unstable.

Model: plain PyTorch, 20 -> 128 input projection, three residual blocks h + GELU(Linear(LayerNorm(h))),
a final LayerNorm and a 10-class head. Data: 512 Gaussian points, label = argmax of a fixed random
linear map (learnable), 8 batches of 64. Optimizer: Adam(lr=0.3), 300x the usual 1e-3.

Why "unstable": Adam's first step moves every weight by ~lr = 0.3 (update ratio ||dW||/||W|| up to
5.9 on step 0), the logits blow up and the cross-entropy jumps from 2.40 (ln 10 = 2.30) to 9.9 at
step 1 and 16.2 at step 2, stays between 6.5 and 19.9 for the first 15 steps, then recovers:
mostly below the start from step 30 on, 1.08 at step 39. The LayerNorms keep the gradients bounded: the total
gradient norm rises at most 5.7x (2.44 -> 13.9), everything finite -- a learning-rate problem, not
an exploding-gradient one. Fix: a lower learning rate.

Plain loop: `python benchmarks/holdout_models_3/b01_adam_lr_spike_resmlp.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm   update ratio, median layer  (all layers)
     10  2.4 / 19.9 (step 9) / 2.4 / 19.9      2.44..13.9  0.066..2.33                 (0.0528..5.88)
     20  2.4 / 19.9 (step 9) / 2.4 / 4.66      2.44..13.9  0.0261..2.33                (0.02..5.88)
     30  2.4 / 19.9 (step 9) / 1.68 / 2.73     2.26..13.9  0.0126..2.33                (0.0087..5.88)
     40  2.4 / 19.9 (step 9) / 1.08 / 1.08     1.81..13.9  0.00959..2.33               (0.00533..5.88)
"""

import sys
from pathlib import Path

import torch
from torch import nn


class ResMLP(nn.Module):
    def __init__(self, d_in: int = 20, width: int = 128, classes: int = 10, depth: int = 3) -> None:
        super().__init__()
        self.inp = nn.Linear(d_in, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU()) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.head(self.norm(h))


_g = torch.Generator().manual_seed(1)
_x = torch.randn(512, 20, generator=_g)
_y = (_x @ torch.randn(20, 10, generator=_g)).argmax(1)
data = list(zip(_x.split(64), _y.split(64), strict=True))

torch.manual_seed(1)
model = ResMLP()


def optimizer(params):
    return torch.optim.Adam(params, lr=0.3)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
