"""When `gradscope run` stops the script: after --steps, at --budget, or when nothing will step.

gradscope stops a script by raising `StopScript` from an optimizer's step hook:
the step is complete, and the script's `finally` blocks and context managers run
as it unwinds. A run stops once its busiest optimizer has taken --steps measured
steps and every other has too (or the busiest has taken PATIENCE times that:
an optimizer that steps rarely is not waited for); at the first step boundary
after --budget seconds; and, with a step limit, after BACKWARD_WITHOUT_STEP
backward() calls with no optimizer step (a script that updates its weights by
hand, which gradscope cannot observe, could train for hours first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Past this many steps of its busiest optimizer, a run stops without waiting for an optimizer that
# steps rarely (one per 10 iterations, say) to reach --steps too.
PATIENCE = 4
# backward() calls with no optimizer step yet after which a script run with a step limit is
# stopped: nothing gradscope run can observe is coming (a hand-written update, or none), and the
# script could train for hours first. Generous for accumulation (LLM recipes accumulate a few hundred).
BACKWARD_WITHOUT_STEP = 1000


class StopScript(BaseException):
    """Ends the script at a step boundary. Not an Exception, so the script's `except Exception`
    does not swallow it, while its `finally` blocks and `with` exits still run."""


@dataclass
class Stopping:
    """The run's limits (--steps, --budget) and what it has done against them."""

    steps: int | None  # measured steps of each optimizer; None: the script runs to its end
    budget: float | None = None  # seconds from the start; None: no limit
    stopped: bool = False  # gradscope stopped the script
    out_of_time: bool = False  # ... because the budget ran out
    backward_calls: int = 0
    steps_taken: int = 0  # optimizer steps of any optimizer
    started: float = field(default_factory=time.perf_counter)

    def backward(self) -> None:
        """A backward() call: one too many without a step ends a script run with a step limit."""
        self.backward_calls += 1
        if self.steps is not None and self.steps_taken == 0 and self.backward_calls > BACKWARD_WITHOUT_STEP:
            self.stopped = True
            raise StopScript

    def step_begins(self) -> None:
        """An optimizer step is about to run: end a script that caught the stop and went on."""
        if self.stopped:
            raise StopScript

    def step_taken(self) -> None:
        self.steps_taken += 1

    def step_ended(self, measured: list[int]) -> None:
        """An optimizer step ended, with `measured` steps recorded of each optimizer: stop when done."""
        if self.budget is not None and time.perf_counter() - self.started >= self.budget:
            self.stopped = self.out_of_time = True
            raise StopScript
        if self.steps is None:
            return
        most = max(measured)
        if most >= self.steps and (min(measured) >= self.steps or most >= PATIENCE * self.steps):
            self.stopped = True
            raise StopScript
