"""Verification: the probe's steps replayed from the same start with one change applied.

A recommendation's number is only printed when a replay showed it helps. The
replay restores the session's initial weights, seed and batches, applies a
`Change` (a clip threshold, a learning-rate factor, re-initialised layers,
swapped activations), trains the same number of steps without the probe and
compares its loss curve with the measured run's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from gradscope.advice.budget import Clock, OutOfTime
from gradscope.advice.candidates import Calm
from gradscope.data.rates import RELATIVE_CAP, as_number, kind_of
from gradscope.data.records import Verified

# The loss must fall at least this much (relative) for a change to count as better.
IMPROVEMENT = 0.02
# A change must beat the next-more-conservative candidate by this much to be preferred.
PREFER_MARGIN = 0.05
# Replays compare the mean of this many last losses: one batch's loss is noisy.
WINDOW = 3
# A replay whose loss passes this many times the measured run's worst has diverged: its
# outcome is clear, and the remaining steps would only cost time.
DIVERGED = 100.0
# A replay whose loss is under this share of the measured run's has clearly won: it stops there.
CLEAR_WIN = 0.5

Progress = Callable[[str, int, int], None]


class Replays(Protocol):
    """What a door that can replay its steps provides (the diagnose door's Session): the same
    steps again from the same start, with a change applied, and their losses."""

    def run(
        self,
        steps: int,
        *,
        setup: Callable[[torch.nn.Module, torch.optim.Optimizer], Callable[[], None]] | None = None,
        clip: float | None = None,
        progress: Callable[[int], None] | None = None,
        go_on: Callable[[int, torch.Tensor], bool] | None = None,
        precision: str | None = None,
    ) -> tuple[list[float], Any]: ...


@dataclass(frozen=True)
class Change:
    """One recommendation applied to a replay."""

    clip: float | None = None
    lr_scale: float | None = None
    # The rate lr_scale multiplies where a group's lr is not a number it can scale (Adafactor's
    # relative step): the replay sets lr = lr_base x lr_scale with relative_step=False.
    lr_base: float | None = None
    reinit: tuple[str, ...] = ()  # layers re-initialised with kaiming_normal_ and zero bias
    swap: tuple[str, ...] = ()  # activation modules replaced for the run
    swap_to: str = "ReLU"
    # The replay runs in this precision (Lightning's names): "bf16-mixed" from bf16-true weights
    # keeps float32 master weights under bfloat16 autocast; None: as the measured run.
    precision: str | None = None

    def apply(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> Callable[[], None]:
        """Change the freshly reset model and optimizer; return what undoes the module swaps."""
        if self.lr_scale is not None:
            _scale_rates(optimizer, self.lr_scale, self.lr_base)
        _reinit(model, self.reinit)
        undo = _swap(model, self.swap, self.swap_to)

        def restore() -> None:
            for parent, child, old in undo:
                setattr(parent, child, old)

        return restore


def _scale_rates(optimizer: torch.optim.Optimizer, scale: float, base: float | None) -> None:
    """Every group's learning rate x `scale`, through the knob the optimizer steps by."""
    for group in optimizer.param_groups:
        if kind_of(group).relative:
            # transformers' Adafactor: its relative step becomes an explicit lr, the same step
            # size at scale 1 (with the same scale_parameter), so the rate can be scaled.
            group["relative_step"] = False
            group["warmup_init"] = False
            group["lr"] = (RELATIVE_CAP if base is None else base) * scale
            continue
        rate = group.get("lr")
        number = rate if isinstance(rate, torch.Tensor) else as_number(rate)
        if number is not None:  # a multiplier (Prodigy, D-Adaptation) scales as a rate does
            group["lr"] = float(number) * scale


def _reinit(model: torch.nn.Module, names: tuple[str, ...]) -> None:
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name in names:
            module = modules.get(name)
            weight = getattr(module, "weight", None)
            if isinstance(weight, torch.Tensor) and weight.dim() >= 2:
                torch.nn.init.kaiming_normal_(weight, nonlinearity="relu")
            bias = getattr(module, "bias", None)
            if isinstance(bias, torch.Tensor):
                torch.nn.init.zeros_(bias)


def _swap(model: torch.nn.Module, names: tuple[str, ...], to: str) -> list[tuple[Any, str, Any]]:
    """Replace activation modules in place; return what is needed to put them back."""
    undo: list[tuple[Any, str, Any]] = []
    modules = dict(model.named_modules())
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = modules.get(parent_name) if parent_name else model
        old = modules.get(name)
        if parent is None or old is None:
            continue
        setattr(parent, child, getattr(torch.nn, to)())
        undo.append((parent, child, old))
    return undo


def tail(losses: Sequence[float], window: int = WINDOW) -> float:
    """Mean of the last `window` losses; NaN when any of them is not finite."""
    last = list(losses[-window:])
    if not last:
        return math.nan
    return statistics.fmean(last) if all(math.isfinite(v) for v in last) else math.nan


def improved(before: float, after: float, gain: float = IMPROVEMENT) -> bool:
    """`after` is at least `gain` (a share) under `before`; any finite loss beats a non-finite one."""
    if not math.isfinite(after):
        return False
    if not math.isfinite(before):
        return True
    return after < before - gain * abs(before)


def _final(losses: Sequence[float]) -> float:
    """A replay's final loss, infinite when it diverged."""
    value = tail(losses)
    return value if math.isfinite(value) else math.inf


@dataclass(frozen=True)
class Bar:
    """What a replay must show to count as a cure. Every replay is judged by one Bar, so that a
    recommendation's "verified" and a finding's confirmation by a replay mean the same thing.

    gain:         its last losses end at least this share under the measured run's.
    calm:         or, for a spike the measured run recovered from: it ends no higher and its curve
                  passes `calm` (the spike is gone).
    must_fall:    and its own loss ends clearly under where it started. Beating a measured run that
                  blew up is not enough for a learning rate: one small enough (SGD at 3e-24) beats
                  it by holding the loss at its start, which cures nothing.
    fell_further: or it ends lower and fell at least this many times as far as the measured run
                  from the same start. For a change that touches only the rounding (float32 master
                  weights) at a fine-tune's rate, both falls are small, and a bar on the loss's
                  level would call a real gain nothing.
    """

    gain: float = IMPROVEMENT
    calm: Calm | None = None
    must_fall: bool = False
    fell_further: float | None = None

    def met(self, baseline: Sequence[float], losses: Sequence[float]) -> bool:
        before, after = tail(baseline), _final(losses)
        if self.must_fall and not (losses and improved(losses[0], after)):
            return False
        if improved(before, after, self.gain):
            return True
        no_higher = not math.isfinite(before) or after <= before + IMPROVEMENT * abs(before)
        if self.calm is not None and math.isfinite(after) and no_higher and self.calm(losses):
            return True
        return self.fell_further is not None and self._fell_further(baseline, after, self.fell_further)

    @staticmethod
    def _fell_further(baseline: Sequence[float], after: float, times: float) -> bool:
        start, before = (baseline[0] if baseline else math.nan), tail(baseline)
        if not all(math.isfinite(v) for v in (start, before, after)):
            return False
        fell_before, fell_after = start - before, start - after
        return after < before and fell_after > 0 and fell_after >= times * max(fell_before, 0.0)


@dataclass(frozen=True)
class Trial:
    label: str
    value: float
    losses: tuple[float, ...]

    def final(self) -> float:
        """The replay's final loss, infinite when it diverged."""
        return _final(self.losses)


class Replayer:
    """Replays on one session, each change once, judged against the measured run's losses."""

    def __init__(
        self,
        session: Replays,
        steps: int,
        baseline: Sequence[float],
        progress: Progress | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.session = session
        self.steps = steps
        # Replays may be shorter than the measured run (a tight budget): compare like with like.
        self.baseline = tuple(baseline[:steps])
        self.progress = progress
        self.clock = clock or Clock(None)
        self.skipped: list[str] = []  # candidates the budget left untried
        self._cache: dict[Change, Trial] = {}
        finite = [v for v in self.baseline if math.isfinite(v)]
        self._ceiling = DIVERGED * max((abs(v) for v in finite), default=math.inf)

    def affordable(self) -> bool:
        """Whether one more replay fits in the budget (and no stop was asked for)."""
        try:
            self.clock.afford(self.steps)
        except OutOfTime:
            return False
        return self.clock.stop_requested is None

    def replay(self, label: str, change: Change, value: float = 0.0) -> Trial:
        """Train the probe's steps again from the same start with `change` applied.

        Raises budget.OutOfTime when the replay does not fit in the time left and
        budget.Stopped when a stop was asked for. Stops early once its outcome is clear:
        the loss diverged, or it is already far below the measured run's.
        """
        if change not in self._cache:
            self.clock.check_stop("verifying")
            self.clock.afford(self.steps)
            progress, steps = self.progress, self.steps
            tick = (lambda done: progress(f"verifying {label}", done, steps)) if progress else None
            seen: list[float] = []
            # Only a change of precision passes it: a door's replays need not know the option.
            extra = {} if change.precision is None else {"precision": change.precision}
            losses, _ = self.session.run(
                steps, setup=change.apply, clip=change.clip, progress=tick, go_on=self._judge(seen), **extra
            )
            if len(losses) < steps and any(not math.isfinite(v) or abs(v) > self._ceiling for v in losses[-1:]):
                losses.append(math.inf)  # stopped on a runaway loss: mark it diverged
            self._cache[change] = Trial(label, value, tuple(losses))
        return self._cache[change]

    def _judge(self, seen: list[float]) -> Callable[[int, torch.Tensor], bool]:
        """The per-step check of a replay: time, stop requests, and whether its outcome is clear."""
        clock = self.clock
        goal = tail(self.baseline)
        clock.start_laps()

        def go_on(done: int, loss: torch.Tensor) -> bool:
            clock.lap()
            clock.check_stop("verifying")
            if clock.left() <= 0:
                raise OutOfTime("the budget ran out in the middle of a replay")
            seen.append(float(loss))
            if not math.isfinite(seen[-1]) or abs(seen[-1]) > self._ceiling:
                return False
            # Clearly better: half-way or later, its recent losses are under half of where the
            # measured run ended and of where it stood at the same step.
            if done >= max(WINDOW, self.steps // 2) and math.isfinite(goal) and goal > 0:
                recent = tail(seen)
                if recent < CLEAR_WIN * goal and recent < CLEAR_WIN * tail(self.baseline[:done]):
                    return False
            return True

        return go_on

    def best(
        self,
        candidates: Sequence[tuple[str, Change, float]],
        conservative_first: bool,
        bar: Bar,
        likely: Sequence[float] = (),
    ) -> tuple[Trial | None, list[Trial]]:
        """The candidate with the lowest final loss among those whose replay meets `bar`.

        Candidates whose value is in `likely` are replayed first, so a budget that cannot pay
        for every replay goes to the probable winner; the choice is made in the given order.
        """
        order = sorted(range(len(candidates)), key=lambda i: candidates[i][2] not in likely)
        done: dict[int, Trial] = {}
        for i in order:
            label, change, value = candidates[i]
            try:
                done[i] = self.replay(label, change, value)
            except OutOfTime:
                if not done:
                    raise
                # Judge on what was replayed.
                self.skipped.extend(candidates[j][0] for j in order if j not in done)
                break
        trials = [done[i] for i in sorted(done)]
        good = [tr for tr in trials if bar.met(self.baseline, tr.losses)]
        if not good:
            return None, trials
        ordered = good if conservative_first else list(reversed(good))
        chosen = ordered[0]
        for tr in ordered[1:]:
            if tr.final() < chosen.final() - PREFER_MARGIN * abs(chosen.final()):
                chosen = tr
        return chosen, trials

    def verified(self, trial: Trial, bar: Bar) -> Verified:
        before, after = tail(self.baseline), tail(trial.losses)
        return Verified(before, after, bar.met(self.baseline, trial.losses), self.baseline, trial.losses)
