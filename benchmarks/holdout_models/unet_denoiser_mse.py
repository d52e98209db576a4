"""Tiny U-Net-style denoising autoencoder (two scales, concat skip connection,
BatchNorm in the encoder), MSE between output and clean image, Adam lr 2e-3.

Images are 1x24x24 sums of random Gaussian blobs; inputs add pixel noise
(std 0.3). The custom `loss` is plain MSE. The data callable yields fresh
batches from a generator, so each gradscope run sees the same stream.
Measured (seed 0, 20 steps): loss 0.126 -> 0.0115
(first-5 mean 0.079, last-5 0.013); grad norms small in absolute terms (0.002-0.59,
encoder ~0.01) because the targets are small; ||dW||/||W|| 0.001-0.03; no NaN.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"]}


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class TinyUNet(nn.Module):
    def __init__(self, ch: int = 8) -> None:
        super().__init__()
        self.enc1 = _conv(1, ch)
        self.enc2 = _conv(ch, 2 * ch)
        self.up = nn.ConvTranspose2d(2 * ch, ch, kernel_size=2, stride=2)
        self.dec = nn.Sequential(nn.Conv2d(2 * ch, ch, 3, padding=1), nn.ReLU(), nn.Conv2d(ch, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.enc1(x)
        bottom = self.enc2(F.max_pool2d(s1, 2))
        return self.dec(torch.cat([self.up(bottom), s1], dim=1))


def _blobs(n: int, g: torch.Generator) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    centres = torch.rand(n, 3, 2, generator=g) * 24
    amps = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
    d2 = (yy - centres[..., 0, None, None]) ** 2 + (xx - centres[..., 1, None, None]) ** 2
    return (amps * torch.exp(-d2 / 12.0)).sum(1, keepdim=True)


def data() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(8)
    for _ in range(30):
        clean = _blobs(32, g)
        yield clean + 0.3 * torch.randn(clean.shape, generator=g), clean


def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(output, target)


model = TinyUNet()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=2e-3)
