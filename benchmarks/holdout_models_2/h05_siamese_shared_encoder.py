"""Healthy: Siamese network, one encoder applied to both inputs of a pair (tied weights).

Batch = ((x1, x2), target) -> model(x1, x2). The target is the cosine similarity of the
pair under a fixed random teacher projection (float, shape (B,)), fitted with the default MSE.
Each encoder layer therefore accumulates gradient from two forward passes per step.

Measured (plain loop, 20 steps, Adam 3e-3): loss 0.291 -> 0.067 (first3 0.232, last3 0.061).
Mean grad norm / ||dW||/||W||: encoder.0 0.19 / 0.14, encoder.2 0.28 / 0.26, encoder.4 0.44 / 0.26.
"""

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(5)
_D = 20


class Siamese(nn.Module):
    def __init__(self, d: int = _D, hidden: int = 64, emb: int = 16) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(d, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, emb)
        )

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return F.cosine_similarity(self.encoder(x1), self.encoder(x2), dim=-1)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]]:
    teacher = torch.randn(_D, 8, generator=_g)
    x1 = torch.randn(n_batches * bs, _D, generator=_g)
    # half the pairs are noisy copies (high similarity), half are independent draws
    near = x1 + 0.7 * torch.randn(n_batches * bs, _D, generator=_g)
    far = torch.randn(n_batches * bs, _D, generator=_g)
    x2 = torch.where(torch.rand(n_batches * bs, 1, generator=_g) < 0.5, near, far)
    y = F.cosine_similarity(torch.tanh(x1 @ teacher), torch.tanh(x2 @ teacher), dim=-1)
    return [
        ((x1[i * bs : (i + 1) * bs], x2[i * bs : (i + 1) * bs]), y[i * bs : (i + 1) * bs]) for i in range(n_batches)
    ]


model = Siamese()
data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-3)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {"encoder.0": "healthy", "encoder.2": "healthy", "encoder.4": "healthy"},
    "others": ["healthy"],
}
