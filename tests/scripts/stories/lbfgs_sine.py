"""Healthy LBFGS: a two-LSTMCell sine-wave predictor in float64 converges smoothly.

Like pytorch/examples' time_sequence_prediction (written afresh, scaled down for speed):
nn.LSTMCell(1, 51) -> nn.LSTMCell(51, 51) -> Linear(51, 1), unrolled by hand, model.double();
16 sine waves sin(t / 4) (period ~25 samples) with random integer phase shifts, length 30;
input = wave[:, :-1], target = wave[:, 1:], MSE (gradscope's default for float targets), one
full batch reused at every step. torch.optim.LBFGS(lr=0.8, max_iter=3) with no line search
(the example uses the default max_iter=20 and length 1000; 3 inner iterations keep 40 steps at
~2 s of CPU). gradscope must call optimizer.step(closure).

Closure evaluations per outer step: exactly 3 at every one of the 40 steps (max_iter=3; the
tolerances never end an iteration early). Loss at the first closure call of each outer step:
  0-9:   0.5100 0.5020 0.4672 0.2665 0.1834 0.07679 0.02390 0.02186 0.01849 0.01384
  10-19: 0.01291 0.01095 0.008831 0.006051 0.005271 0.004459 0.003681 0.003002 0.002751 0.002174
  20-29: 0.001989 0.001957 0.001861 0.001746 0.001704 0.001687 0.001676 0.001524 0.001408 0.001314
  30-39: 0.001240 0.001226 0.001208 0.001152 0.001110 0.001078 0.001027 0.0009493 0.0009126 0.0008885
It decreases at every single step (N=10: 0.510 -> 0.0138; N=20: -> 0.00217; N=30: -> 0.00131;
N=40: -> 0.000888). The total gradient norm is not monotone, as is normal for a quasi-Newton
method: 0.13, 0.09, 0.39, 1.11 (step 3, the peak), 0.53, 0.48, 0.17, then 0.0016-0.16 as the
fit converges. The median update ratio is 0.18 at step 2, otherwise 0.003-0.06.

This setting is fragile in one known way: LBFGS without a line search sometimes takes one wild
step early (loss 0.5 -> 50-3000 at step 3-6, then it recovers) for other phase-shift seeds
(5 of 8 tried at length 30); the seed here has none, in float64 with 1 or 2 threads alike.
Measured with torch 2.13 CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

WAVES, LENGTH, PERIOD, HIDDEN = 16, 30, 4.0, 51  # sin(t / 4): one period is ~25 samples


class Sequence(nn.Module):
    """Two stacked LSTM cells unrolled by hand, then a linear read-out of the next sample."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, HIDDEN)
        self.lstm2 = nn.LSTMCell(HIDDEN, HIDDEN)
        self.linear = nn.Linear(HIDDEN, 1)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        h1 = c1 = h2 = c2 = wave.new_zeros(wave.shape[0], HIDDEN)
        outputs = []
        for t in range(wave.shape[1]):
            h1, c1 = self.lstm1(wave[:, t : t + 1], (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            outputs.append(self.linear(h2))
        return torch.cat(outputs, dim=1)


torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = Sequence().double()

_gen = torch.Generator().manual_seed(3)
_shift = torch.randint(-20 * int(PERIOD), 20 * int(PERIOD), (WAVES, 1), generator=_gen)
_waves = torch.sin((torch.arange(LENGTH).unsqueeze(0) + _shift).double() / PERIOD)
data = [(_waves[:, :-1], _waves[:, 1:])]  # one full batch: predict each next sample (MSE)


def optimizer(params):
    return torch.optim.LBFGS(params, lr=0.8, max_iter=3)


def _loss_of(batch):  # gradscope's default loss for float targets
    inputs, target = batch
    return F.mse_loss(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
