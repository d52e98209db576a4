"""Pathological (exploding): 20 conv layers + ReLU, no residuals, no normalisation,
kaiming-normal init multiplied by 2.

Kaiming init preserves the activation scale through ReLU; doubling every weight makes each
layer amplify both activations and back-propagated gradients by ~2x, i.e. ~2^20 ~ 1e6 end to
end. The logits come out ~1e5-1e6, the loss is enormous and every conv gets huge gradients.

Measured (plain loop, 20 steps, default Adam 1e-3): activation std grows ~2.3 (layer 1) ->
2e4-5e4 (layers 33-41); |logits| 5.4e4 at step 0; loss 4.6e4 -> 342. Total grad norm 4.5e5 at
step 0, still 1.1e4-1.3e4 at steps 17-19. Per-layer mean grad norm 4.5e3 (conv 0) to 2.2e4
(conv 38), head 3.8e4 (max 2.4e5), against weight norms ~11 (head 1.3). Adam's normalised
steps (||dW||/||W|| ~0.03) shrink the 20 compounding layers, which is why the loss drops,
but the gradients stay 3-5 orders of magnitude too large throughout. No NaN/Inf.
"""

import torch
from torch import nn

_g = torch.Generator().manual_seed(12)
_C, _DEPTH, _CLASSES, _IMG = 16, 20, 5, 8


def _build() -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(_DEPTH):
        conv = nn.Conv2d(3 if i == 0 else _C, _C, 3, padding=1)
        nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        nn.init.zeros_(conv.bias)
        with torch.no_grad():
            conv.weight.mul_(2.0)
        layers += [conv, nn.ReLU()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(_C, _CLASSES)]
    return nn.Sequential(*layers)


def _make_data(n_batches: int = 6, bs: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    templates = torch.randn(_CLASSES, 3, _IMG, _IMG, generator=_g)
    y = torch.randint(0, _CLASSES, (n_batches * bs,), generator=_g)
    x = templates[y] + torch.randn(n_batches * bs, 3, _IMG, _IMG, generator=_g)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = _build()
data = _make_data()

EXPECTED: dict[str, object] = {
    "verdict": "exploding",
    "layers": {"38": "exploding", "42": "exploding"},
    "others": ["exploding", "healthy"],
}
