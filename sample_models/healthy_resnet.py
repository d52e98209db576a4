"""Healthy deep network: a 20-block pre-LayerNorm residual MLP (about 40 Linear layers deep).

Each block computes x + fc2(relu(fc1(norm(x)))). The identity path carries the gradient straight
from the loss to the input projection, so the stem and every block get gradients within about
an order of magnitude of the head's, unlike a plain 40-layer stack. The regression target is a
fixed random teacher network of the inputs; default Adam makes the MSE loss fall within 20 steps.
"""

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}

IN, WIDTH, OUT, BLOCKS, BATCH = 16, 64, 4, 20, 64


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(torch.relu(self.fc1(self.norm(x))))


class ResMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(IN, WIDTH)
        self.blocks = nn.Sequential(*(Block(WIDTH) for _ in range(BLOCKS)))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, OUT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.blocks(self.stem(x))))


_teacher = nn.Sequential(nn.Linear(IN, 32), nn.Tanh(), nn.Linear(32, OUT))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN)
    with torch.no_grad():
        return x, _teacher(x)


model = ResMLP()
data = [_batch() for _ in range(8)]
