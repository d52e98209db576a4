"""The loss hand-over: which step a loss handed to `Watch.loss` belongs to.

A loss is handed over before optimizer.step() (it is then the coming step's) or
after it (the step just taken); which of the two a loop does is fixed by its first
recorded step. Nothing here touches the device: tensors are kept as they are and
join the step's single transfer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import torch

from gradscope.data.records import StepRecord


@dataclass
class Losses:
    """The losses handed over and not yet attached to a step."""

    pending: list[Any] = field(default_factory=list)  # for the coming step
    late: list[tuple[int, Any]] = field(default_factory=list)  # (record index, loss) handed after their step
    after_step: bool | None = None  # None until the first recorded step shows the loop's habit
    closure: torch.Tensor | None = None  # a closure optimizer's first evaluation
    missing: bool = False  # the last step taken had no loss

    def add(self, value: Any, records: list[StepRecord], last_recorded: bool, recording_next: bool) -> None:
        if self.after_step:
            # The user hands the loss over after optimizer.step(): it is the last step's. Only the
            # first one: a later one is of an iteration whose step GradScaler skipped.
            last = len(records) - 1
            taken = bool(self.late) and self.late[-1][0] == last
            if last_recorded and records and records[-1].loss is None and not taken:
                self.late.append((last, value))
            return
        if self.after_step is None or recording_next:
            self.pending.append(value)

    def settle(self) -> None:
        """At the first recorded step: a loop that handed nothing over yet hands it over after steps."""
        if self.after_step is None:
            self.after_step = not self.pending and self.closure is None

    def take(self, device: torch.device) -> torch.Tensor:
        """The step's loss as a 1-entry float64 tensor on `device` (NaN when none was handed over)."""
        self.missing = False
        if self.closure is not None:
            value, self.closure = self.closure, None
            self.pending.clear()
            return value
        if self.pending:
            # Several losses for one step: gradient accumulation; the step's loss is their mean.
            value = combined([loss_tensor(v, device) for v in self.pending], "mean").reshape(1)
            self.pending.clear()
            return value
        self.missing = True
        return torch.full((1,), math.nan, dtype=torch.float64, device=device)

    def resolve(
        self,
        records: list[StepRecord],
        device: torch.device,
        mean: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        """Attach losses handed over after their step, in one transfer for all of them
        (`mean` averages them over the ranks of a distributed job first)."""
        if not self.late:
            return
        stacked = torch.stack([loss_tensor(v, device) for _, v in self.late])
        values = (stacked if mean is None else mean(stacked)).tolist()
        for (index, _), loss in zip(self.late, values, strict=True):
            records[index] = replace(records[index], loss=loss)
        self.late.clear()

    def drop_skipped(self, skipped: int) -> None:
        """Losses handed over for iterations whose step GradScaler skipped are not this step's.

        No hook runs on a skipped iteration, so which pending losses were its is inferred:
        when they split evenly into the skipped iterations and this one (the same number of
        micro-batches each), only this iteration's share is kept.
        """
        pending = len(self.pending)
        if pending and pending % (skipped + 1) == 0:
            del self.pending[: pending - pending // (skipped + 1)]
        elif pending % skipped == 0:
            # Only the skipped iterations' share: this iteration hands its loss over after the
            # step (a skip on the first iteration would otherwise fix the wrong mode).
            self.pending.clear()


def loss_tensor(value: Any, device: torch.device) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return value.detach().to(device, torch.float64)
        return value.detach().reshape(-1)[0].to(device, torch.float64)
    return torch.full((), float(value), dtype=torch.float64, device=device)


def combined(values: Sequence[torch.Tensor], how: Literal["sum", "mean"]) -> torch.Tensor:
    """One step's loss from the scalars of its micro-batches: the one given as it is, several as
    their sum or mean, detached, in float64, on their device (no sync).

    The operation is the door's: under `gradscope run` the losses are the ones backward() ran
    on, and the stepped gradient is the gradient of their sum; a loop hands `watch` (and the
    framework callbacks) each micro-batch's loss, whose mean is the step's.
    """
    if len(values) == 1:
        return values[0]
    stacked = torch.stack([v.detach().reshape(()).to(torch.float64) for v in values])
    return stacked.sum() if how == "sum" else stacked.mean()
