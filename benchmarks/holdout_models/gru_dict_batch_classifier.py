"""GRU sequence classifier written HuggingFace-style: each batch is a dict and the
model returns {"loss", "logits"} itself. Trained with Adam (lr 3e-3).

The model carries a `pooler` left over from an attention-pooling experiment; it
requires grad but forward() never calls it, so it never receives a gradient.
Task: 3-class label = which of the first three sensor channels has the largest
mean over a 30-step noisy multichannel sequence.
Measured (seed 0, 20 steps): loss 1.11 -> 0.74
(first-5 mean 1.09, last-5 0.84); grad norms GRU 0.18-0.51, head 0.22-0.30;
||dW||/||W|| ~0.025; pooler never has a .grad; no NaN/Inf.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {"pooler": "unused"}, "others": ["healthy"]}


class SensorGRU(nn.Module):
    def __init__(self, n_channels: int = 6, hidden: int = 48, n_classes: int = 3) -> None:
        super().__init__()
        self.encoder = nn.GRU(n_channels, hidden, batch_first=True)
        self.pooler = nn.Linear(hidden, 1)  # unused: attention pooling was abandoned
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, signals: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        _, h_last = self.encoder(signals)
        logits = self.head(h_last[-1])
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = F.cross_entropy(logits, labels)
        return out


def _make_batches(n_batches: int = 32, batch: int = 64, steps: int = 30) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(2024)
    batches = []
    for _ in range(n_batches):
        offsets = 0.4 * torch.randn(batch, 1, 6, generator=g)
        signals = offsets + torch.randn(batch, steps, 6, generator=g)
        labels = signals[:, :, :3].mean(dim=1).argmax(dim=1)
        batches.append({"signals": signals, "labels": labels})
    return batches


model = SensorGRU()
data = _make_batches()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-3)
