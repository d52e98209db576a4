"""Exploding gradients from a bad initialisation: a deep ReLU MLP with weights ~ N(0, 1).

He init for a 256-wide ReLU layer is std = sqrt(2/256) ~ 0.09; here every Linear uses std 1.0,
about 11x too large, so each layer multiplies the signal (forward) and the gradient (backward)
by about sqrt(256/2) ~ 11. After 8 layers the logits are ~1e8, the cross-entropy loss ~1e8, and
every layer's gradient norm ~1e7 (a He-initialised copy sees ~0.5-4): enormous, though still
finite in float32. (The net is positively homogeneous, so the blow-up is spread evenly over the
layers rather than growing towards the input.) Default Adam normalises the step size, so the
weights stay finite over 20 steps, but the loss stays astronomically high. The fix is the init
(kaiming_normal_ / the default init). Gradient clipping is not expected among the
recommendations: Adam's step is nearly invariant to rescaling the gradient, so clipping cannot
lower the loss here (with SGD, instead, this model goes NaN within a couple of steps).
"""

import torch
from torch import nn

DEPTH, IN, WIDTH, CLASSES, BATCH = 8, 32, 256, 10, 64


def model() -> nn.Module:
    layers: list[nn.Module] = []
    for i in range(DEPTH - 1):
        layers += [nn.Linear(IN if i == 0 else WIDTH, WIDTH), nn.ReLU()]
    layers.append(nn.Linear(WIDTH, CLASSES))
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=1.0)  # the bug: should be ~sqrt(2 / fan_in)
            nn.init.zeros_(m.bias)
    return net


_teacher = torch.randn(IN, CLASSES)
_x = torch.randn(6 * BATCH, IN)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))

EXPECTED = {
    "verdict": "exploding",
    "layers": {str(i): "exploding" for i in range(0, 2 * DEPTH, 2)},
    "others": [],
    "recommend": ["init"],
}
