"""A submodule that forward() never calls: reported as "unused", but the run is healthy.

``aux_head`` was meant for an auxiliary loss that was later dropped from forward(). Its
parameters require grad and sit in the (default Adam) optimizer, yet no gradient ever reaches
them, so their .grad stays None. That is a finding worth reporting (dead code, wasted memory,
maybe a bug), not a training pathology: the rest of the network learns the teacher-generated
labels normally, so the verdict is healthy and only ``aux_head`` is "unused".
"""

import torch
from torch import nn

EXPECTED = {
    "verdict": "healthy",
    "layers": {"aux_head": "unused", "encoder.0": "healthy", "head": "healthy"},
    "others": ["healthy"],
    "recommend": [],
}

IN, HIDDEN, CLASSES, BATCH = 16, 256, 3, 128


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.head = nn.Linear(HIDDEN, CLASSES)
        self.aux_head = nn.Linear(HIDDEN, 1)  # never used below

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


_teacher = torch.randn(IN, CLASSES)


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    xs = [torch.randn(BATCH, IN) for _ in range(6)]
    return [(x, (x @ _teacher).argmax(dim=1)) for x in xs]


model = TwoHeads
