"""Pathological: small BatchNorm CNN trained with SGD(lr=3.0, momentum=0.9) - a learning rate
typed with the wrong exponent (meant 3e-3).

BatchNorm makes the conv weights scale-invariant, so the forward pass stays finite, but with
momentum the effective step is ~30x the gradient: BN affine parameters and the head overshoot,
the logits swing and the loss jumps around above its starting value, with gradients finite.

Measured (plain loop, 20 steps): loss 1.70 -> 2.27 -> 3.05 in the first steps, then swings
1.60-2.10 (below the start once); ends at 1.73 (first3 2.34, last3 1.88). The same net with
SGD(0.03, momentum 0.9) goes 1.70 -> 1.34. Gradients finite and small (mean 0.04-0.41, max 1.03)
but ||dW||/||W|| is 6-10 for convs and head over 20 steps; the head norm grows 1.3 -> 12.5.
The last block's BN shift is driven to about -5, so its ReLU is 75-100% silent at steps 4-5 and
53-78% from step 12 on (the other two stay >90% alive). No NaN/Inf. Without momentum,
lr=3.0 trains fine on this net (1.70 -> 0.06), so the momentum is what breaks it.
"""

from collections.abc import Iterable

import torch
from torch import nn

_g = torch.Generator().manual_seed(13)
_CLASSES, _IMG = 5, 12


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


model = nn.Sequential(
    _block(3, 16),
    _block(16, 32),
    nn.MaxPool2d(2),
    _block(32, 32),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(32, _CLASSES),
)


def _make_data(n_batches: int = 6, bs: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    templates = torch.randn(_CLASSES, 3, _IMG, _IMG, generator=_g)
    y = torch.randint(0, _CLASSES, (n_batches * bs,), generator=_g)
    x = templates[y] + 2.0 * torch.randn(n_batches * bs, 3, _IMG, _IMG, generator=_g)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=3.0, momentum=0.9)


EXPECTED: dict[str, object] = {
    "verdict": "unstable",
    "layers": {"0.0": "healthy", "1.0": "healthy"},
    "others": ["healthy", "dead"],
}
