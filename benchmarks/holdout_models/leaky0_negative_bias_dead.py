"""MLP using nn.LeakyReLU(negative_slope=0.0), i.e. a ReLU in disguise, with all
hidden biases initialised to -3 (a "sparsity prior" gone wrong). Pre-activations
have std ~0.6 around -3, so practically no hidden unit ever fires: the hidden
layers pass no gradient and only the output bias can learn.
Default optimizer (gradscope's Adam 1e-3); 8-class teacher-labelled data.
Measured (seed 0, 20 steps): loss 2.086 -> 2.080
(chance 2.079); fc1 and fc2 grad norm exactly 0 at every step, all 128 units of
both never active; only out.bias learns (out grad norm 0.15-0.19, weight grad 0).
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "dead", "layers": {"fc1": "dead", "fc2": "dead"}, "others": ["healthy", "dead"]}


class SparseMLP(nn.Module):
    def __init__(self, d_in: int = 32, hidden: int = 128, n_classes: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.act1 = nn.LeakyReLU(negative_slope=0.0)
        self.fc2 = nn.Linear(hidden, hidden)
        self.act2 = nn.LeakyReLU(negative_slope=0.0)
        self.out = nn.Linear(hidden, n_classes)
        for layer in (self.fc1, self.fc2):
            nn.init.constant_(layer.bias, -3.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.act2(self.fc2(self.act1(self.fc1(x)))))


def data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(3)
    teacher = torch.randn(32, 8, generator=g)
    xs = [torch.randn(128, 32, generator=g) for _ in range(24)]
    return [(x, (x @ teacher).argmax(dim=1)) for x in xs]


model = SparseMLP()
