"""Counting the optimizer steps a GradScaler skipped on inf/NaN gradients.

An unfused optimizer's skipped step never calls step(), so no hook sees it: the
skips are inferred from the drop in the scaler's scale. A fused optimizer gets the
scaled gradients and skips inside its kernel; there `found_inf` is summed on the
device so that counting costs no sync.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Skips:
    scaler: Any = None  # torch.amp.GradScaler, or None: nothing to count
    count: int = 0
    last_scale: tuple[float, int] | None = None  # scale and growth tracker at the last count
    fused: torch.Tensor | None = None  # a fused optimizer's skips so far, on the device
    # The scale at the start, at each step taken (read when it costs no wait) and at the end,
    # and the iterations seen (steps taken and skipped): the loss scale over the run.
    scales: list[float] = field(default_factory=list)
    iterations: int = 0

    def start(self) -> None:
        # The scale on entry, so skips before the first executed step count too (GradScaler's
        # first steps calibrate its scale by skipping). Unused yet, get_scale() does not sync.
        entry = self.scale_now(tracker=False)
        self.last_scale = None if entry is None else (entry[0], -1)
        if entry is not None and not self.scales:
            self.scales.append(entry[0])

    def scale_now(self, tracker: bool = True) -> tuple[float, int] | None:
        """GradScaler's scale and its count of good steps towards the next growth (-1: unknown)."""
        if self.scaler is None or not getattr(self.scaler, "is_enabled", lambda: False)():
            return None
        read = getattr(self.scaler, "_get_growth_tracker", None) if tracker else None
        return float(self.scaler.get_scale()), int(read()) if read is not None else -1

    def add_fused(self, found: torch.Tensor) -> None:
        flag = (found > 0).to(torch.float64)
        self.iterations += 1
        self.fused = flag if self.fused is None else self.fused + flag

    def since_last(self) -> int:
        """Skips since the last call, from the drop in scale. (Unfused optimizers: GradScaler has
        just synced to decide whether to step, so reading the scale costs no wait.)"""
        now = self.scale_now()
        if now is None:
            return 0
        skipped = 0
        self.iterations += 1  # this step, taken
        if self.last_scale is not None:
            expected, tracker = self.last_scale
            # The last executed step's own update() grew the scale if that step completed a run of
            # good steps; a skip after it halves it back, and the drop alone would miss the skip.
            if tracker >= 0 and tracker + 1 >= self.scaler.get_growth_interval():
                expected *= float(self.scaler.get_growth_factor())
            if now[0] < expected:
                backoff = float(self.scaler.get_backoff_factor())
                skipped = max(1, round(math.log(expected / now[0]) / math.log(1.0 / backoff)))
                self.count += skipped
                self.iterations += skipped
        self.last_scale = now
        self.scales.append(now[0])
        return skipped

    def finish(self) -> None:
        """Count skips after the last executed step."""
        if self.fused is not None:
            # The scale's drop would count the same skips again.
            self.count += round(float(self.fused))
            self.fused = None
            now = self.scale_now(tracker=False)
            if now is not None:
                self.scales.append(now[0])
        else:
            before = self.iterations
            self.since_last()
            if self.iterations > before and self.scales:
                self.iterations -= 1  # the end of the run, not a step taken
