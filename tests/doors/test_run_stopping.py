"""When the run door stops a script: --steps with patience, --budget, backward() without a step."""

from __future__ import annotations

import time

import pytest

from gradscope.doors.run import stopping
from gradscope.doors.run.stopping import PATIENCE, Stopping, StopScript


def test_stop_script_is_not_an_exception_so_except_exception_cannot_swallow_it() -> None:
    assert not issubclass(StopScript, Exception)
    assert issubclass(StopScript, BaseException)


def test_one_optimizer_stops_at_its_steps() -> None:
    rules = Stopping(steps=3)
    rules.step_ended([2])
    assert not rules.stopped
    with pytest.raises(StopScript):
        rules.step_ended([3])
    assert rules.stopped and not rules.out_of_time


def test_every_optimizer_reaches_its_steps_unless_the_busiest_ran_patience_times_ahead() -> None:
    rules = Stopping(steps=3)
    rules.step_ended([3, 1])  # the busiest is done, the other is not: wait for it
    rules.step_ended([PATIENCE * 3 - 1, 2])
    assert not rules.stopped
    with pytest.raises(StopScript):
        rules.step_ended([PATIENCE * 3, 2])  # an optimizer that steps rarely is not waited for
    assert rules.stopped
    with pytest.raises(StopScript):
        Stopping(steps=3).step_ended([3, 3])


def test_without_a_step_limit_only_the_budget_stops() -> None:
    rules = Stopping(steps=None)
    rules.step_ended([10_000])
    assert not rules.stopped
    late = Stopping(steps=None, budget=5.0, started=time.perf_counter() - 10)
    with pytest.raises(StopScript):
        late.step_ended([1])
    assert late.stopped and late.out_of_time


def test_the_budget_is_checked_at_step_boundaries_before_the_steps() -> None:
    rules = Stopping(steps=3, budget=5.0, started=time.perf_counter() - 10)
    with pytest.raises(StopScript):
        rules.step_ended([3])
    assert rules.out_of_time  # both ran out: the budget is named
    fresh = Stopping(steps=3, budget=3600.0)
    fresh.step_ended([1])
    assert not fresh.stopped


def test_a_script_that_caught_the_stop_ends_at_its_next_step() -> None:
    rules = Stopping(steps=1)
    rules.step_begins()
    with pytest.raises(StopScript):
        rules.step_ended([1])
    with pytest.raises(StopScript):  # it caught StopScript and stepped again
        rules.step_begins()


def test_backward_without_any_step_stops_a_run_with_a_step_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stopping, "BACKWARD_WITHOUT_STEP", 2)
    rules = Stopping(steps=20)
    rules.backward()
    rules.backward()
    with pytest.raises(StopScript):
        rules.backward()
    assert rules.stopped and rules.backward_calls == 3


def test_backward_without_a_step_goes_on_after_a_step_or_without_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stopping, "BACKWARD_WITHOUT_STEP", 2)
    stepped = Stopping(steps=20)
    stepped.step_taken()
    unlimited = Stopping(steps=None)
    for _ in range(5):
        stepped.backward()
        unlimited.backward()
    assert not stepped.stopped and not unlimited.stopped
    assert stepped.steps_taken == 1 and unlimited.backward_calls == 5
