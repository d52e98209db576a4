"""Healthy: autoencoder with tied weights; the decoder reuses encoder.weight.t().

The decoder is not a module with its own weight: it is F.linear(code, encoder.weight.t(),
decoder_bias), with decoder_bias owned by the root (layer "(root)"). The encoder weight thus
receives gradient through both the encoding and decoding paths. Data: 64-dim points near
an 8-dim linear subspace (plus noise); batch = (x, x), default MSE.

Measured (plain loop, 20 steps, Adam 5e-3): loss 0.576 -> 0.396 (first3 0.550, last3 0.409).
Mean grad norm / ||dW||/||W||: encoder 6.9e-2 / 0.42, bottleneck 6.3e-2 / 0.43,
(root) decoder_bias 2.3e-2 (zero-init, so ratio undefined). No NaN/Inf.
"""

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

_g = torch.Generator().manual_seed(7)
_D, _RANK = 64, 8


class TiedAutoencoder(nn.Module):
    def __init__(self, d: int = _D, code: int = 12) -> None:
        super().__init__()
        self.encoder = nn.Linear(d, code)
        nn.init.xavier_uniform_(self.encoder.weight)
        self.bottleneck = nn.Linear(code, code)
        self.decoder_bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = torch.tanh(self.bottleneck(torch.tanh(self.encoder(x))))
        return F.linear(code, self.encoder.weight.t(), self.decoder_bias)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    basis = torch.linalg.qr(torch.randn(_D, _RANK, generator=_g))[0] * 4.0
    z = torch.randn(n_batches * bs, _RANK, generator=_g) * 0.5
    x = z @ basis.t() + 0.05 * torch.randn(n_batches * bs, _D, generator=_g)
    return [(x[i * bs : (i + 1) * bs], x[i * bs : (i + 1) * bs]) for i in range(n_batches)]


model = TiedAutoencoder()
data = _make_data()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=5e-3)


EXPECTED: dict[str, object] = {
    "verdict": "healthy",
    "layers": {"(root)": "healthy", "encoder": "healthy", "bottleneck": "healthy"},
    "others": ["healthy"],
}
