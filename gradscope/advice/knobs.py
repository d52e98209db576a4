"""The learning-rate knob of the run's optimizer, as the advice scales it and names it.

A learning-rate recommendation scales the rate the run was measured at and says which
setting to change. That is `lr` for most optimizers, but not for all (gradscope.data.rates):
transformers' Adafactor with `relative_step=True` takes a relative step of its own, which an
explicit `lr` with `relative_step=False` reproduces and can scale; Prodigy and D-Adaptation
multiply the step size they estimate by their `lr`; an `lr` that is not a number cannot be
scaled at all. The rates a candidate may give are bounded by the range the optimizer's family
is used at (candidates.usable_range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradscope.advice.candidates import Usable, fmt, usable_range
from gradscope.data.rates import RELATIVE_CAP, RateKind
from gradscope.data.records import RunRecord
from gradscope.data.summary import lr_schedule


@dataclass(frozen=True)
class Knob:
    optimizer: str  # the class name, as the code line writes it
    kind: RateKind
    base: float  # the rate the candidate factors multiply
    usable: Usable
    # The lowest and highest plain rate while measured, when a schedule moved it.
    scheduled: tuple[float, float] | None = None

    @classmethod
    def of(cls, record: RunRecord, first: float) -> Knob:
        """The knob of `record`'s optimizer; `first`: the first group's rate on the first step."""
        run = record.run
        scheduled = lr_schedule(record)
        base = first
        if run.lr_kind.relative and scheduled is not None:
            # Adafactor's own warm-up (warmup_init): an explicit rate replaces the schedule, so
            # the factors scale the largest relative step it reached.
            base, scheduled = scheduled[1], None
        usable = usable_range(run.optimizer, run.lr_kind)
        return cls(run.optimizer, run.lr_kind, base, usable, scheduled)

    def scaled(self, replaying: bool) -> float:
        """The rate a factor multiplies: without replays, the highest of a schedule (the numbers
        from the update ratios scale the whole schedule); a replay scales the rate it starts at."""
        return self.scheduled[1] if self.scheduled is not None and not replaying else self.base

    def missing(self, replaying: bool) -> str | None:
        """Why there is no rate to scale ("not_a_number", "zero"), or None when there is one."""
        rate = self.scaled(replaying)
        if self.kind is RateKind.NONE or not math.isfinite(rate) or rate < 0:
            return "not_a_number"
        return "zero" if rate == 0 else None

    @property
    def lr_base(self) -> float | None:
        """What a replay's factor multiplies where the group's lr is not a number (replay.Change)."""
        return self.base if self.kind.relative else None

    def code(self, lr: float) -> str:
        """The line that sets `lr` through this optimizer's knob."""
        if self.kind.relative:
            unscaled = ", scale_parameter=False" if self.kind.unscaled else ""
            return (
                f"{self.optimizer}(model.parameters(), lr={fmt(lr)}, relative_step=False, warmup_init=False{unscaled})"
            )
        return f"{self.optimizer}(model.parameters(), lr={fmt(lr)})"

    def how(self) -> str:
        """What the knob is, when it is not a plain lr, for the recommendation's how-text."""
        if self.kind.relative:
            said = (
                f"; {self.optimizer}'s relative step (lr=None) reached {fmt(self.base)}: an explicit lr with "
                "relative_step=False and the same scale_parameter takes steps of that size"
            )
            if self.kind.warmup:
                said += f"; keeping relative_step with warmup_init=False instead gives {fmt(RELATIVE_CAP)}"
            return said
        if self.kind is RateKind.MULTIPLIER:
            return (
                f"; {self.optimizer}'s lr multiplies the step size d it estimates (1 is its default; "
                "d_coef scales the estimate the same way)"
            )
        return ""
