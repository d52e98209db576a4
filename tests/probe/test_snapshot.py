"""The snapshot buffer (snapshot.py): small tensors by size class, a large one in pieces."""

from __future__ import annotations

import pytest
import torch
from probe_reference import assert_figures, ce, make_batches, train
from torch import nn


class _WithEmptyLayer(nn.Module):
    """18 small tensors and a zero-entry Linear whose (empty) output joins the features."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(*(nn.Sequential(nn.Linear(6, 6), nn.Tanh()) for _ in range(9)))
        self.empty = nn.Linear(6, 0)
        self.head = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        return self.head(torch.cat([h, self.empty(h)], dim=1))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_a_zero_entry_parameter_among_many_small_tensors() -> None:
    """A size-0 class sorts first on the size-class path; its block arithmetic divided by zero."""
    torch.manual_seed(0)
    model = _WithEmptyLayer()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    records, expected, _ = train(model, opt, make_batches(3, 6, 3), ce, via_watch=True)
    assert_figures(records, expected)


def test_many_small_tensors_reduced_by_size_class_with_a_large_one() -> None:
    """More than FEW small tensors go the size-class way (stacked into the buffer, updates
    subtracted block by block through a scratch tensor); a large tensor rides along in pieces."""
    torch.manual_seed(0)
    blocks: list[nn.Module] = [nn.Linear(6, 32)]
    for _ in range(20):  # 20 x (32x32 weight, bias, LayerNorm weight and bias): 80 small tensors
        blocks += [nn.Linear(32, 32), nn.LayerNorm(32), nn.Tanh()]
    blocks += [nn.Linear(32, 2100), nn.Tanh(), nn.Linear(2100, 3)]  # 67k-entry weight: large (no exact zeros)
    model = nn.Sequential(*blocks)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, _ = train(model, opt, make_batches(4, 6, 3), ce, via_watch=True)
    assert_figures(records, expected)
