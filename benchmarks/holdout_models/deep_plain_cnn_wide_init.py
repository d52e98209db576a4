"""Ten-layer plain CNN (no normalisation, no residuals) initialised with
nn.init.normal_(std=0.5) "to break symmetry harder". For 3x3x16 fan-in that is
~4x the He std, so every conv+ReLU multiplies the activation scale by ~4 and
the logits and gradients come out astronomically large (but finite).
Default optimizer (gradscope's Adam lr 1e-3); 3-class stripe-orientation task.
Measured (seed 0, 20 steps): CE loss 5.5e5 at
step 1, 8.7e3 at step 20 (a 3-class problem!); every layer's grad norm 2.7e5-7.9e5
at step 1, still 9e3-1.2e5 at step 20; all finite; Adam keeps ||dW||/||W|| ~1.5e-3.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {
    "verdict": "exploding",
    "layers": {"body.0": "exploding", "body.18": "exploding", "fc": "exploding"},
    "others": ["exploding"],
}


class PlainCNN(nn.Module):
    def __init__(self, depth: int = 10, ch: int = 16) -> None:
        super().__init__()
        convs: list[nn.Module] = [nn.Conv2d(1, ch, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 1):
            convs += [nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*convs)
        self.fc = nn.Linear(ch, 3)
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.normal_(m.weight, std=0.5)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.body(x).mean(dim=(2, 3)))


def _stripes() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(4)
    yy, xx = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
    patterns = torch.stack([torch.sin(yy), torch.sin(xx), torch.sin((xx + yy) / 1.4)])
    out = []
    for _ in range(25):
        y = torch.randint(0, 3, (48,), generator=g)
        x = patterns[y].unsqueeze(1) + 0.5 * torch.randn(48, 1, 12, 12, generator=g)
        out.append((x, y))
    return out


model = PlainCNN()
data = _stripes()
