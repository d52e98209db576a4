"""Exploding gradients through time: a vanilla tanh RNN whose recurrent weights are scaled up.

``weight_hh`` is initialised orthogonal x 2, which puts the tanh RNN in its chaotic regime:
the forward pass stays bounded (tanh), but backpropagation through 60 time steps multiplies the
gradient by a Jacobian with gain above 1 at every step. The RNN's gradient norm is ~1e3 or
more at every step while the linear head's is about 1, all finite; with plain SGD (no clipping)
the updates are driven by these spikes and the loss does not fall. The learning rate is small
(1e-4) so the run stays in this regime for all 20 steps: larger steps knock the weights out of
it within a few updates. Gradient clipping (clip_grad_norm_) is the standard fix; a smaller
recurrent init also helps.
"""

from collections.abc import Iterable

import torch
from torch import nn

IN, HIDDEN, SEQ, BATCH = 8, 64, 60, 64


class SeqRegressor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(IN, HIDDEN, nonlinearity="tanh", batch_first=True)
        self.head = nn.Linear(HIDDEN, 1)
        with torch.no_grad():
            nn.init.orthogonal_(self.rnn.weight_hh_l0, gain=2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, SEQ, IN)
    return x, x[:, :, 0].mean(dim=1, keepdim=True)  # running mean of channel 0: needs memory


model = SeqRegressor()
data = [_batch() for _ in range(4)]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=1e-4)


EXPECTED = {
    "verdict": "exploding",
    "layers": {"rnn": "exploding", "head": "healthy"},
    "others": [],
    "recommend": ["clip_grad_norm"],
}
