"""15-layer tanh MLP whose author "stabilised" it by multiplying every weight of
PyTorch's default init by 0.3. With default Linear init already having gain
~0.58, each layer now shrinks the signal ~6x: activations and back-propagated
gradients decay geometrically, so the early layers get almost no gradient.
SGD with momentum (lr 0.05) on a 10-class teacher-labelled task.
Measured (seed 0, 20 steps): loss 2.308 -> 2.264
(chance 2.303); grad norm by layer from input to output: 1.4e-11, 2.9e-11, 7.7e-11,
5e-10, 3e-9, 1.5e-8, 9e-8, 5.6e-7, 3.4e-6, 1.9e-5, 9e-5, 5e-4, 3e-3, 0.02, 0.13
(~6x shrink per layer); ||dW||/||W|| 0 for layers 0-4, 0.04 for the head.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {
    "verdict": "vanishing",
    "layers": {
        "0": "vanishing",
        "2": "vanishing",
        "4": "vanishing",
        "6": "vanishing",
        "8": "vanishing",
        "10": "vanishing",
        "12": "vanishing",
        "14": "vanishing",
        "16": "vanishing",
    },
    "others": ["vanishing", "healthy"],
}

DEPTH, WIDTH = 15, 64


def _build() -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(20, WIDTH), nn.Tanh()]
    for _ in range(DEPTH - 2):
        layers += [nn.Linear(WIDTH, WIDTH), nn.Tanh()]
    layers.append(nn.Linear(WIDTH, 10))
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(0.3)
    return net


def _data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(15)
    proj = torch.randn(20, 10, generator=g)
    batches = []
    for _ in range(25):
        x = torch.randn(100, 20, generator=g)
        batches.append((x, (x @ proj).argmax(dim=1)))
    return batches


model = _build()
data = _data()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)
