"""How a recorded step's per-entry figures become per-layer figures.

A recorded step gathers its figures as parts: lists of 0-d tensors (one per tensor or
piece, from foreach calls and dots) and 1-D tensors (one entry per tensor), each named
by a Part. The step's parts are joined into one vector and turned into per-layer
figures with one index_add_, by a Plan worked out once per arrangement of parts: per
entry its layer's slot, its exponent, its multiplier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from gradscope.probe.layout import Layout
from gradscope.probe.snapshot import Group


class Part(NamedTuple):
    """What a run of a step's per-entry figures holds (see make_plan)."""

    group: int
    figure: str  # "g" gradient, "w" weight before the step, "u" update, "c" non-zero count, "next" (kept)
    span: str  # which of the group's tensors: "small", "large", "all", or "chunks" (one per piece)
    exp: int  # 2: the entries are norms; 1: squares or counts
    sampled: bool = False  # large tensors' entries are scaled: counts by their sample factor, updates by scale_sq


@dataclass
class Parts:
    """A recorded step's figures as they are gathered, in the order they were taken."""

    listed: list[tuple[Part, list[torch.Tensor]]] = field(default_factory=list)  # 0-d tensors, one per entry
    tensors: list[tuple[Part, torch.Tensor]] = field(default_factory=list)  # 1-D tensors, one entry per tensor

    def add(self, part: Part, values: list[torch.Tensor] | torch.Tensor) -> None:
        if isinstance(values, list):
            if values:
                self.listed.append((part, values))
        elif values.numel():
            self.tensors.append((part, values))

    def clear(self) -> None:
        self.listed, self.tensors = [], []

    def arrangement(self) -> tuple[Part, ...]:
        return tuple(p for p, _ in self.listed) + tuple(p for p, _ in self.tensors)

    def join(self, device: torch.device) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]]]:
        """The parts as one vector (lists first, in one stack), not yet float64, and the
        (group, entries) of each "next" part: a slice of the stack, kept for the next step."""
        listed = [t for _, values in self.listed for t in values]
        pieces: list[torch.Tensor] = []
        nexts: list[tuple[int, torch.Tensor]] = []
        if listed:
            first = listed[0]
            # A part's entries come from one group, so its first entry speaks for it.
            if all(v[0].dtype == first.dtype and v[0].device == first.device for _, v in self.listed):
                # .to: the groups' one device need not be the probe's (a model split over GPUs).
                pieces.append(torch.stack(listed).to(device))
            else:  # groups of several dtypes or devices: one stack per part
                pieces.append(torch.cat([torch.stack(v).to(device, torch.float64) for _, v in self.listed]))
            offset = 0
            for part, values in self.listed:
                if part.figure == "next":
                    nexts.append((part.group, pieces[0][offset : offset + len(values)]))
                offset += len(values)
        pieces += [t.to(device) for _, t in self.tensors]
        return (torch.cat(pieces) if len(pieces) > 1 else pieces[0]), nexts


@dataclass(frozen=True)
class Plan:
    # Compact (int32, int8; multipliers only if some are not 1): a plan has ~4 entries per
    # tensor, which beside a model of many tiny tensors is not nothing.
    dest: torch.Tensor  # per entry: slot in [grad, weight, update, count] x layers (+1 spare)
    exp: torch.Tensor
    mult: torch.Tensor | None
    bias: torch.Tensor  # per layer: position of its bias's non-zero count
    updates: tuple[tuple[int, int, int], ...]  # (position, group, index in group) of large tensors' updates

    def large_updates(self, values: list[float]) -> dict[tuple[int, int], float]:
        """||update||^2 of each large tensor, summed over its pieces (for the slow path)."""
        out: dict[tuple[int, int], float] = {}
        for position, group, j in self.updates:
            out[(group, j)] = out.get((group, j), 0.0) + values[position]
        return out


def make_plan(
    parts: tuple[Part, ...],
    groups: Sequence[Group],
    factors: tuple[tuple[float, ...], ...],
    layout: Layout,
    device: torch.device,
) -> Plan:
    """Per entry of the joined vector: its slot among [grad, weight, update, count] x layer
    (a spare last slot for the next step's squares), its exponent and its multiplier."""
    L = len(layout.layers)
    slot_of = {"g": 0, "w": 1, "u": 2, "c": 3}
    dest: list[int] = []
    exp: list[int] = []
    mult: list[float] = []
    count_at: dict[int, int] = {}  # tracked index -> position of its non-zero count
    updates: list[tuple[int, int, int]] = []  # (position, group, index in group) of large updates
    for part in parts:
        g = groups[part.group]
        n = g.n_small
        members = {
            "small": range(n),
            "large": range(n, len(g.params)),
            "all": range(len(g.params)),
            "chunks": g.chunk_owner,
        }[part.span]
        for j in members:
            tracked = g.positions[j]
            position = len(dest)
            if part.figure == "next":
                dest.append(4 * L)
            else:
                dest.append(slot_of[part.figure] * L + layout.layer_of[tracked])
            exp.append(part.exp)
            factor = 1.0
            if part.sampled and j >= n:
                large = j - n
                factor = factors[part.group][large] if part.figure == "c" else g.scale_sq[large]
            mult.append(factor)
            if part.figure == "c":
                count_at[tracked] = position
            if part.figure == "u" and j >= n:
                updates.append((position, part.group, j))
    first_count = min(count_at.values(), default=0)
    bias = [count_at.get(b, first_count) if b >= 0 else first_count for b in layout.bias_of]

    def tensor(values: list[float] | list[int], dtype: torch.dtype) -> torch.Tensor:
        return torch.tensor(values, dtype=dtype, device=device)

    return Plan(
        dest=tensor(dest, torch.int32),
        exp=tensor(exp, torch.int8),
        mult=tensor(mult, torch.float64) if any(m != 1.0 for m in mult) else None,
        bias=tensor(bias, torch.int32),
        updates=tuple(updates),
    )
