"""Pathological (nonfinite): GELU MLP fed features that contain +/-Inf in a few batches.

A realistic preprocessing bug: a ratio feature (x0 / x1) and a log feature (log|x2|) are
computed without guarding the denominator / zero, and batches 3 and 6 contain exact zeros.
Linear(inf) gives +/-inf pre-activations, GELU(+/-inf) is NaN in torch, so the loss is NaN,
every gradient is NaN and Adam writes NaN into every weight from that step on.

Measured (plain loop, 20 steps, default Adam 1e-3): batches 3 and 6 each hold 4 non-finite
inputs (3 ratio, 1 log). Loss 1.116, 1.11, 1.12, then NaN from step 3 onward (torch's
GELU(+inf) and GELU(-inf) are both NaN). Every layer's gradient is NaN from step 3, and after
Adam's step 3 all weights are NaN; before that, grad norms were 0.12 / 0.20 / 0.20.
"""

import torch
from torch import nn

_g = torch.Generator().manual_seed(15)
_D, _CLASSES = 16, 3

model = nn.Sequential(
    nn.Linear(_D + 2, 64),
    nn.GELU(),
    nn.Linear(64, 64),
    nn.GELU(),
    nn.Linear(64, _CLASSES),
)


def _make_data(n_batches: int = 8, bs: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    w = torch.randn(_D, _CLASSES, generator=_g)
    raw = torch.randn(n_batches * bs, _D, generator=_g)
    y = (raw @ w).argmax(dim=1)
    for b in (3, 6):  # a few rows with exact zeros in the raw columns used below
        rows = b * bs + torch.randint(0, bs, (3,), generator=_g)
        raw[rows, 1] = 0.0
        raw[rows[:1], 2] = 0.0
    ratio = (raw[:, 0] / raw[:, 1]).unsqueeze(1)  # +/-inf where x1 == 0
    log_mag = raw[:, 2].abs().log().unsqueeze(1)  # -inf where x2 == 0
    x = torch.cat([raw, ratio, log_mag], dim=1)
    return [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]


data = _make_data()

EXPECTED: dict[str, object] = {
    "verdict": "nonfinite",
    "layers": {"0": "nonfinite", "2": "nonfinite", "4": "nonfinite"},
    "others": ["nonfinite"],
}
