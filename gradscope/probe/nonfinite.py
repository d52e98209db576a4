"""The non-finite path: some figure of a recorded step came back NaN or Inf.

It runs after the step's figures were read, only then, so a healthy run never pays
for it. It counts the non-finite entries of each layer's gradients and weights, redoes
the gradient norms in float64 (a NaN one stays NaN), and replaces weight and update
norms that overflowed float32 by exact ones. In a distributed job every rank is here
(the figures that sent it are the job's), and one more collective makes the counts
and squares the job's.
"""

from __future__ import annotations

import math
from collections.abc import Container, Sequence
from dataclasses import dataclass

import torch

from gradscope.probe import distributed
from gradscope.probe import reduce as stats
from gradscope.probe.distributed import Ranks
from gradscope.probe.layout import Layout
from gradscope.probe.snapshot import Group


@dataclass
class Redone:
    """A step's figures after the non-finite path (per layer, but total_norm)."""

    grad: list[float]
    weight: list[float]
    update: list[float]
    total_norm: float
    bad_grad: list[int]
    bad_weight: list[int]


@dataclass
class _Squares:
    """Per layer: non-finite counts and float64 squares, this rank's until made the job's."""

    bad_g: list[int]
    bad_w: list[int]
    grad: list[float]
    weight: list[float]
    update: list[float]
    total: float = 0.0


def redo(
    layout: Layout,
    groups: Sequence[Group],
    keep: Container[int],
    sharded: bool,
    ranks: Ranks | None,
    device: torch.device,
    w_l: list[float],
    u_l: list[float],
    large: dict[tuple[int, int], float],
) -> Redone:
    """Count bad entries and redo overflowed norms in float64.

    `w_l` and `u_l` are the step's per-layer weight and update norms as read (the gradient
    norms are all redone); `large` the squared updates of large tensors by (group, index in
    group); `keep` the groups whose buffer now holds the next step's snapshot instead of the
    update.
    """
    diffs = _whole_diffs(groups, keep)
    # A replicated tensor in a sharded job is counted by another rank (distributed.py).
    elsewhere = {pos for g in groups if g.weight == 0.0 for pos in g.positions}
    sq = _counted(layout, sharded, diffs, elsewhere)
    overflowed = any(math.isinf(u) for u in u_l)
    if overflowed:
        sq.update = _update_squares(layout, groups, diffs, elsewhere, large)
    if ranks is not None:
        _across(ranks, sq, len(layout.layers), device)
    g_new = [math.sqrt(v) if math.isfinite(v) else v for v in sq.grad]
    # Only replace weight norms that overflowed (where no diff is kept, by the norm after the step).
    w_new = [w if math.isfinite(w) else math.sqrt(s) for w, s in zip(w_l, sq.weight, strict=True)]
    u_new = u_l
    if overflowed:
        u_new = [u if not math.isinf(u) else math.sqrt(v) for u, v in zip(u_l, sq.update, strict=True)]
    return Redone(g_new, w_new, u_new, math.sqrt(sq.total), sq.bad_g, sq.bad_w)


def _whole_diffs(groups: Sequence[Group], keep: Container[int]) -> dict[int, torch.Tensor]:
    """Where the buffer still holds W_before - W_after of a whole tensor (small tensors; large
    ones unless this step copied the next snapshot in, or only a sample is kept), by tracked
    position: there the weights before the step and the update can be redone exactly."""
    diffs: dict[int, torch.Tensor] = {}
    for k, g in enumerate(groups):
        for j, (pos, held) in enumerate(zip(g.positions, g.snapshot, strict=True)):
            if j < g.n_small or (k not in keep and g.sampled[j] is g.params[j]):
                diffs[pos] = held
    return diffs


def _counted(layout: Layout, sharded: bool, diffs: dict[int, torch.Tensor], elsewhere: set[int]) -> _Squares:
    """Non-finite entries of gradients and weights, and their float64 squares, per layer."""
    L = len(layout.layers)
    sq = _Squares([0] * L, [0] * L, [0.0] * L, [0.0] * L, [0.0] * L)
    for pos, (param, layer) in enumerate(zip(layout.tracked, layout.layer_of, strict=True)):
        if pos in elsewhere:
            continue
        grad, data = param.grad, param.detach()
        if sharded:  # this rank's shards
            grad, data = None if grad is None else distributed.local(grad), distributed.local(data)
        ng, nw = stats.count_nonfinite(grad), stats.count_nonfinite(data)
        sq.bad_g[layer] += ng
        sq.bad_w[layer] += nw
        if grad is not None:
            value = math.nan if ng else stats.exact_norm(grad)
            sq.grad[layer] += value * value
            sq.total += value * value
        diff = diffs.get(pos)
        weights = data if diff is None else data.double() + diff.double()
        sq.weight[layer] += (math.nan if nw else stats.exact_norm(weights)) ** 2
    return sq


def _update_squares(
    layout: Layout,
    groups: Sequence[Group],
    diffs: dict[int, torch.Tensor],
    elsewhere: set[int],
    large: dict[tuple[int, int], float],
) -> list[float]:
    """Per layer the update's square, exact where the difference is kept whole."""
    update_sq = [0.0] * len(layout.layers)
    for k, g in enumerate(groups):
        for j, pos in enumerate(g.positions):
            if pos in elsewhere:
                continue
            diff = diffs.get(pos)
            square = stats.exact_norm(diff) ** 2 if diff is not None else large.get((k, j), 0.0)
            update_sq[layout.layer_of[pos]] += square
    return update_sq


def _across(ranks: Ranks, sq: _Squares, L: int, device: torch.device) -> None:
    """Every rank's counts and squares made the job's: one more collective, on this exceptional path only."""
    stacked = torch.tensor(sq.bad_g + sq.bad_w + sq.grad + sq.weight + sq.update, dtype=torch.float64)
    whole = ranks.sum(stacked.to(device)).tolist()
    sq.bad_g, sq.bad_w = [round(v) for v in whole[:L]], [round(v) for v in whole[L : 2 * L]]
    sq.grad, sq.weight, sq.update = whole[2 * L : 3 * L], whole[3 * L : 4 * L], whole[4 * L :]
    sq.total = sum(sq.grad)
