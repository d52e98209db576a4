"""How a step's parts become one vector and per-layer slots (plan.py)."""

from __future__ import annotations

import torch
from torch import nn

from gradscope.probe.layout import discover
from gradscope.probe.plan import Part, Parts, make_plan
from gradscope.probe.snapshot import make_groups


def test_parts_join_lists_first_then_tensors_and_hands_back_the_next_slices() -> None:
    parts = Parts()
    parts.add(Part(0, "g", "small", 2), [torch.tensor(1.0), torch.tensor(2.0)])
    parts.add(Part(0, "c", "all", 1), torch.tensor([7.0, 8.0]))
    parts.add(Part(0, "next", "chunks", 1), [torch.tensor(3.0)])
    parts.add(Part(0, "w", "small", 2), [])  # empty: left out
    parts.add(Part(0, "u", "small", 2), torch.zeros(0))
    joined, nexts = parts.join(torch.device("cpu"))
    assert joined.tolist() == [1.0, 2.0, 3.0, 7.0, 8.0]
    assert [(group, kept.tolist()) for group, kept in nexts] == [(0, [3.0])]
    assert [p.figure for p in parts.arrangement()] == ["g", "next", "c"]
    parts.clear()
    assert parts.arrangement() == ()


def test_plan_sends_each_entry_to_its_layers_slot() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1, bias=False))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    layout = discover(model, opt)
    groups, _ = make_groups(layout, model, "exact", None)
    parts = (Part(0, "g", "all", 2), Part(0, "c", "all", 1))
    plan = make_plan(parts, groups, ((),), layout, torch.device("cpu"))
    layers = [layout.layer_of[pos] for pos in groups[0].positions]
    L = len(layout.layers)
    assert plan.dest.tolist() == layers + [3 * L + layer for layer in layers]
    assert plan.exp.tolist() == [2] * len(layers) + [1] * len(layers)
    assert plan.mult is None
