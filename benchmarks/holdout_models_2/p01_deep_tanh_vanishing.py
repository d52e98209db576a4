"""Pathological (vanishing): 30-layer tanh MLP, xavier init scaled by 0.5, no normalisation.

Each hidden layer multiplies the backward signal by ~0.5 (tanh' ~ 1 near 0, weight gain 0.5),
so the first layers see gradients many orders of magnitude below the last ones. The default
PyTorch bias init keeps forward activations O(0.1) at every depth, so the late layers do get
normal gradients: it is the early layers that starve. With Adam's eps=1e-8 their updates
collapse too.

Measured (plain loop, 20 steps, default Adam 1e-3): loss 1.381 -> 1.324 (first3 1.387, last3
1.359; ~2% drop). Mean grad norm: layer 0 2.0e-8, 10 1.4e-7, 30 9.5e-5, 50 1.0e-2, 58 9.1e-2,
head (60) 0.15 -> first/last-hidden ratio ~2e-7, ~0.6x per Linear going backward. ||dW||/||W|| over 20
steps: layers 0-10 ~4e-3, layers 40-60 ~0.10-0.12. No NaN/Inf.
"""

import torch
from torch import nn

_g = torch.Generator().manual_seed(11)
_D, _WIDTH, _DEPTH, _CLASSES = 32, 64, 30, 4


def _build() -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(_DEPTH):
        lin = nn.Linear(_D if i == 0 else _WIDTH, _WIDTH)
        nn.init.xavier_uniform_(lin.weight)
        with torch.no_grad():
            lin.weight.mul_(0.5)
        layers += [lin, nn.Tanh()]
    layers.append(nn.Linear(_WIDTH, _CLASSES))
    return nn.Sequential(*layers)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    w = torch.randn(_D, _CLASSES, generator=_g)
    x = torch.randn(n_batches * bs, _D, generator=_g)
    y = (x @ w).argmax(dim=1)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = _build()
data = _make_data()

EXPECTED: dict[str, object] = {
    "verdict": "vanishing",
    "layers": {
        "0": "vanishing",
        "2": "vanishing",
        "4": "vanishing",
        "6": "vanishing",
        "8": "vanishing",
        "58": "healthy",
        "60": "healthy",
    },
    "others": ["healthy", "vanishing"],
}
