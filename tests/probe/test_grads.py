"""Gradient figures (grads.py): gradients missing on every step go tensor by tensor, as zeros."""

from __future__ import annotations

import torch
from probe_reference import assert_figures, ce, make_batches, train
from torch import nn


class WithUnusedBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(6, 3)
        self.spare = nn.Linear(6, 3)  # defined, never called

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


def test_unused_branch_has_no_gradient_on_any_step() -> None:
    torch.manual_seed(0)
    model = WithUnusedBranch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    assert [layer.name for layer in layout.layers] == ["used", "spare"]
    assert layout.layers[1].trainable is True
    assert all(rec.has_grad == (True, False) for rec in records)
    assert all(rec.grad_norm[1] == 0.0 and rec.update_norm[1] == 0.0 for rec in records)
    assert_figures(records, expected)
