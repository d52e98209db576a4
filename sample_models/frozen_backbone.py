"""Fine-tuning a head on a frozen backbone: healthy, with the backbone layers reported as frozen.

Every backbone parameter has requires_grad=False (as after loading pretrained weights), and the
optimizer is built from the trainable parameters only, the usual idiom. The targets are a fixed
random linear read-out of the backbone's own features plus a little noise, so the trainable head
alone can fit them and the loss falls. Frozen layers get no gradient and do not move by design:
gradscope should call them "frozen", not "unused" or "stalled", and the run healthy.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, FEAT, OUT, BATCH = 32, 64, 4, 128


class FineTuned(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(IN, 128), nn.ReLU(), nn.Linear(128, FEAT), nn.ReLU())
        self.head = nn.Linear(FEAT, OUT)
        self.backbone.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


model = FineTuned()
_readout = torch.randn(FEAT, OUT) / FEAT**0.5


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN)
    with torch.no_grad():
        y = 4.0 * model.backbone(x) @ _readout
    return x, y + 0.05 * torch.randn_like(y)


data = [_batch() for _ in range(8)]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam([p for p in params if p.requires_grad], lr=3e-3)


EXPECTED = {
    "verdict": "healthy",
    "layers": {"backbone.0": "frozen", "backbone.2": "frozen", "head": "healthy"},
    "others": [],
    "recommend": [],
}
