"""Healthy: top-1 mixture-of-experts MLP whose router is skewed toward a few experts.

Router init makes expert 0 take ~30% of tokens and expert 5 almost none: rarely-routed experts get
small gradients only because few tokens reach them, yet they still train normally under Adam.

Measured (plain loop, 20 steps, Adam 3e-3): loss 1.436 -> 1.030 (first3 1.40, last3 1.08).
Tokens per batch of 128: expert 0 33-50, experts 4/7 2-13, expert 5 0-2 (none on 10 of 20 steps).
Grad norm / ||dW||/||W||: experts.0.fc1 1.7e-2 / 0.24, experts.5.fc1 5.5e-4 (30x weaker) / 0.09.
"""

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(2)
_D, _CLASSES, _E = 16, 4, 8


class Expert(nn.Module):
    def __init__(self, d: int, hidden: int = 32) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, hidden), nn.Linear(hidden, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class MoEClassifier(nn.Module):
    def __init__(self, d: int = _D, n_experts: int = _E, classes: int = _CLASSES) -> None:
        super().__init__()
        self.embed = nn.Linear(d, d)
        self.router = nn.Linear(d, n_experts)
        with torch.no_grad():
            self.router.weight.normal_(0.0, 0.8)
            self.router.bias.copy_(torch.tensor([1.0, 0.8, 0.3, 0.2, 0.0, -0.3, -0.4, -0.4]))
        self.experts = nn.ModuleList(Expert(d) for _ in range(n_experts))
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        weight, idx = self.router(h).softmax(dim=-1).max(dim=-1)
        out = torch.zeros_like(h)
        for e, expert in enumerate(self.experts):
            if (sel := idx == e).any():
                out[sel] = weight[sel, None] * expert(h[sel])
        return self.head(h + out)


def _make_data(n_batches: int = 8, bs: int = 128) -> list[tuple[torch.Tensor, torch.Tensor]]:
    w1, w2 = torch.randn(_D, 32, generator=_g), torch.randn(32, _CLASSES, generator=_g)
    x = torch.randn(n_batches * bs, _D, generator=_g)
    y = (torch.tanh(x @ w1) @ w2).argmax(dim=1)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = MoEClassifier()
data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-3)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {"experts.0.fc1": "healthy", "experts.5.fc1": "healthy", "experts.5.fc2": "healthy", "head": "healthy"},
    "others": ["healthy"],
}
