"""The time budget of a diagnosis, and the stop request that cuts it short.

A diagnosis has two phases whose cost is the model's step time: measuring (the
probe's steps) and verifying (replays of candidate fixes). The budget is a
deadline for the whole run, start-up included. After the first measured steps
the Planner knows what a step costs and fixes how many steps it measures and how
many replays of how many steps fit in what is left; the Replayer asks the Clock
before each replay and each replayed step.

Ctrl-C and SIGTERM (how CI cancels a job) do not kill the run: the first one
asks it to stop at the next step boundary (`Clock.stop_requested`, set by the
door's handler in gradscope/doors/signals.py), so what was measured is judged
and written; a second one quits at once.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

from gradscope.data.notes import Note, NoteCode

# Of the time left after start-up, measuring takes at most this share: the rest is for replays.
MEASURE_SHARE = 0.5
# Of the time left, what measuring may take at most when steps are too slow for the rules' minimum
# (the rest is for judging and writing the report).
ALL_BUT = 0.9
# Replays shorter than this say little (the loss of a few batches is noise), so a tight budget
# gets fewer replays rather than shorter ones below it.
REPLAY_FLOOR = 8
# A replay step costs about a measured step (no probe, but the same forward and backward);
# this margin keeps a replay that the estimate says just fits from overrunning the deadline.
REPLAY_MARGIN = 1.2


class OutOfTime(Exception):
    """The budget cannot pay for the next replay (or step of one)."""


class Stopped(Exception):
    """The user (or CI) asked the run to stop: judge what was measured."""


@dataclass(frozen=True)
class Plan:
    """How many steps are measured and how many replays of how many steps fit the budget."""

    budget: float | None  # seconds for the whole run; None = unbounded
    step_s: float  # measured cost of one step
    steps: int  # measured steps
    wanted: int  # what would have been measured without the budget
    replay_steps: int
    replays: int | None  # None = unbounded
    elapsed: float  # seconds spent when the plan was made

    def line(self) -> str:
        """One line for the terminal: the estimate and the plan."""
        replays = "" if self.replays is None else f"up to {self.replays} replay(s) of {self.replay_steps} steps"
        if self.replays == 0:
            replays = "no time left for replays"
        measured = self.elapsed + (self.steps - 1) * self.step_s
        total = measured + (self.replays or 0) * self.replay_steps * self.step_s
        parts = [f"{self.steps} steps measured" + (f" (of {self.wanted} wanted)" if self.steps < self.wanted else "")]
        if replays:
            parts.append(replays)
        # Not every planned replay may be needed: the estimate is a ceiling.
        about = f"up to about {total:.0f} s" if self.replays is not None else f"about {measured:.0f} s to measure"
        return f"{about}: {', '.join(parts)} ({self.step_s:.2g} s a step)"

    def shortfall(self) -> Note | None:
        """What measuring fewer steps than wanted costs, for the report's notes."""
        if self.steps >= self.wanted or self.budget is None:
            return None
        fields = {"budget": self.budget, "steps": self.steps, "wanted": self.wanted, "step_s": self.step_s}
        return Note(NoteCode.PLAN_SHORTFALL, fields)


class Clock:
    """The run's deadline and the stop request, consulted at step boundaries."""

    def __init__(self, budget: float | None, started: float | None = None) -> None:
        self.budget = budget if budget else None
        self.started = time.perf_counter() if started is None else started
        self.stop_requested: str | None = None  # the signal's name once one came
        self.cut: str | None = None  # the phase a stop cut short, for the report
        self.plan: Plan | None = None
        self._step_times: list[float] = []
        self._lap_started = self.started

    def start_laps(self) -> None:
        """A run of steps (measured or replayed) begins now: its first lap counts from here."""
        self._lap_started = time.perf_counter()

    def lap(self) -> float:
        """The step that just ended: its wall time, kept as what the next steps are expected to cost."""
        now = time.perf_counter()
        seconds, self._lap_started = now - self._lap_started, now
        self._step_times.append(seconds)
        return seconds

    def step_s(self) -> float:
        """The typical step time seen so far (the median: the first steps pay for warm-up)."""
        if not self._step_times:
            return self.plan.step_s if self.plan is not None else 0.0
        return statistics.median(self._step_times)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        return math.inf if self.budget is None else self.budget - self.elapsed()

    def check_stop(self, phase: str) -> None:
        if self.stop_requested is not None:
            self.cut = self.cut or phase
            raise Stopped(self.stop_requested)

    def afford(self, steps: int) -> None:
        """Raise OutOfTime unless `steps` more steps fit before the deadline."""
        step_s = self.step_s()
        if steps * step_s * REPLAY_MARGIN > self.left():
            raise OutOfTime(f"{steps} step(s) of {step_s:.2g} s do not fit in {max(self.left(), 0):.0f} s left")

    def make_plan(
        self, step_s: float, done: int, fixed: int | None, wanted: int, need: int, most_replays: int | None = None
    ) -> Plan:
        """Fix the measured steps (unless given) and the replays from one step's cost; no more
        replays than `most_replays`, the most verification can ask for, so a fast model's plan
        does not promise the whole budget."""
        elapsed = self.elapsed()
        step_s = max(step_s, 1e-6)
        if self.budget is None:
            steps = fixed or wanted
            plan = Plan(None, step_s, steps, fixed or wanted, steps, None, elapsed)
        else:
            left = self.budget - elapsed
            if fixed is not None:
                steps = fixed
            else:
                affordable = int(left * MEASURE_SHARE / step_s) + done
                if (need - done) * step_s <= left * ALL_BUT:
                    # Never fewer than the rules need while the budget can pay for them.
                    steps = min(wanted, max(need, affordable))
                else:
                    # Steps so slow that the rules' minimum would overrun the budget: the budget is
                    # the user's limit, so measure what fits; the report says which rules did not run.
                    steps = min(wanted, max(done, int(left * ALL_BUT / step_s) + done))
            after = left - (steps - done) * step_s
            replay_steps = steps
            replays = max(0, int(after / (replay_steps * step_s * REPLAY_MARGIN)))
            if replays < 2 and steps > REPLAY_FLOOR:
                # Two shorter replays say more than one full-length one (or none).
                replay_steps = max(REPLAY_FLOOR, min(steps, int(after / (2 * step_s * REPLAY_MARGIN))))
                replays = max(0, int(after / (replay_steps * step_s * REPLAY_MARGIN)))
            if most_replays is not None:
                replays = min(replays, most_replays)
            plan = Plan(self.budget, step_s, steps, fixed or wanted, replay_steps, replays, elapsed)
        self.plan = plan
        return plan
