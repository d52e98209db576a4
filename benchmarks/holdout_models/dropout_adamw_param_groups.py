"""MLP with LayerNorm + Dropout(0.3), AdamW with hand-written decay/no-decay groups.

The grouping code has a classic bug: "decay" takes only nn.Linear weights and
"no_decay" takes parameters whose name ends in "bias", so every LayerNorm *weight*
is silently left out of the optimizer. Those LayerNorms still get gradients.
Dropout zeroes ~30% of hidden activations each step (per-step zero grads, not
dead units). Data: DataLoader over a 5-class teacher-labelled dataset.
Measured (seed 0, 20 steps): loss 1.65 -> 1.19
(first-5 mean 1.51, last-5 1.18); grad norms Linear 0.4-1.6, LayerNorm 0.08-0.32;
||dW||/||W|| Linear ~0.01, LayerNorm 6e-4 (bias only moves); no NaN/Inf.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

EXPECTED = {
    "verdict": "healthy",
    "layers": {"net.1": "not_optimized", "net.5": "not_optimized"},
    "others": ["healthy"],
}


def _block(d_in: int, d_out: int) -> list[nn.Module]:
    return [nn.Linear(d_in, d_out), nn.LayerNorm(d_out), nn.ReLU(), nn.Dropout(0.3)]


class Classifier(nn.Module):
    def __init__(self, d_in: int = 32, hidden: int = 128, n_classes: int = 5) -> None:
        super().__init__()
        self.net = nn.Sequential(*_block(d_in, hidden), *_block(hidden, hidden), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


model = Classifier()

_g = torch.Generator().manual_seed(11)
_x = torch.randn(4096, 32, generator=_g)
_y = (torch.relu(_x @ torch.randn(32, 64, generator=_g)) @ torch.randn(64, 5, generator=_g)).argmax(1)
data = DataLoader(TensorDataset(_x, _y), batch_size=128, shuffle=True)


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    decay = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias")]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-3
    )
