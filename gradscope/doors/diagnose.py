"""`gradscope diagnose` as one call: script -> Problem -> RunRecord -> Report.

The CLI parses options and renders; everything between lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gradscope.config import DEFAULT_STEPS, RunConfig
from gradscope.data.records import Report

if TYPE_CHECKING:
    import torch

    from gradscope.advice.budget import Clock
    from gradscope.doors import session as runner
    from gradscope.load.script import Problem
    from gradscope.recording.recorder import Origin, Recorder

# (phase, done, total): "measuring" over the probe's steps, "verifying ..." over re-runs.
Progress = Callable[[str, int, int], None]


def run_diagnosis(
    config: RunConfig, progress: Progress | None = None, announce: Callable[[str], None] | None = None
) -> Report:
    """Load the script, measure, judge, recommend (and verify) within the time budget.

    Raises GradscopeError; KeyboardInterrupt when stopped before a single step was measured
    or on a second signal. `announce` receives the plan line once the first steps are timed.
    """
    started = time.perf_counter()
    from gradscope.advice.budget import Clock, interruptible
    from gradscope.doors import session as runner
    from gradscope.load import script as loader

    device = runner.resolve_device(config.device)
    runner.seed_everything(config.seed)
    clock = Clock(config.budget, started)
    # The script's modules, sys.path entry and bytecode setting are undone afterwards,
    # even if it fails, so nothing is written beside it and a second run starts clean.
    with interruptible(clock), loader.isolated():
        return _diagnose(config, device, progress, announce, clock)


def _measure(
    config: RunConfig,
    session: runner.Session,
    progress: Progress | None,
    announce: Callable[[str], None] | None,
    clock: Clock,
) -> tuple[list[float], Recorder]:
    """The measured run: as many steps as the plan made from the first steps' timing allows."""
    from gradscope.advice.recommend import MOST_REPLAYS
    from gradscope.diagnosis import RULES
    from gradscope.recording.recorder import Recorder

    wanted = config.steps or DEFAULT_STEPS
    need = max((r.min_steps for r in RULES), default=1)
    total = wanted
    planned = False

    def go_on(done: int, _loss: object) -> bool:
        nonlocal total, planned
        step_s = clock.lap()
        if clock.stop_requested is not None:
            clock.cut = f"measuring, after {done} of {total} steps"
            return False
        # The second step's time: the first pays for lazy initialisation and warm-up; but a first
        # step that took a tenth of the budget is slow enough to plan from.
        slow = clock.budget is not None and step_s > 0.1 * clock.budget
        if not planned and (done >= 2 or done >= total or slow):
            planned = True
            plan = clock.make_plan(step_s, done, config.steps, wanted, need, MOST_REPLAYS)
            total = plan.steps
            if announce is not None:
                announce(plan.line())
        return done < total

    tick = (lambda done: progress("measuring", done, total)) if progress else None
    clock.start_laps()
    losses, recorder = session.run(wanted, recorder=Recorder, progress=tick, go_on=go_on)
    assert recorder is not None
    return losses, recorder


def _diagnose(
    config: RunConfig,
    device: torch.device,
    progress: Progress | None,
    announce: Callable[[str], None] | None,
    clock: Clock,
) -> Report:
    from gradscope.advice.budget import Stopped
    from gradscope.advice.report import build_report
    from gradscope.doors import session as runner
    from gradscope.load import script as loader
    from gradscope.recording.recorder import run_info

    with loader.quiet_stdout():
        problem = loader.load(Path(config.script), config.steps or DEFAULT_STEPS)
        session = runner.Session.start(problem, device, config.seed)
    try:
        with loader.quiet_stdout():
            losses, recorder = _measure(config, session, progress, announce, clock)
        if not recorder.probe.records:
            raise KeyboardInterrupt  # stopped before one step was measured: nothing to judge
        origin = diagnose_origin(config, problem, clock)
        record = recorder.record(origin)
        notes = tuple(n for n in (clock.plan.shortfall() if clock.plan else None,) if n)
        verify = config.verify and clock.stop_requested is None
        with loader.quiet_stdout():
            try:
                report = build_report(
                    record, session if verify else None, progress=progress, notes=notes,
                    extra={"losses": losses}, clock=clock,
                )  # fmt: skip
            except Stopped:
                # Stopped while replaying: the judgement stands, the numbers go unverified.
                report = build_report(record, None, notes=notes, extra={"losses": losses}, clock=clock)
    finally:
        session.close()
    # The run as it ended: the whole command's wall time, and whether it was stopped early
    # (also while replaying) and where.
    stopped = clock.stop_requested is not None
    ended = replace(origin, partial=stopped, cut=clock.cut if stopped else None)
    final = run_info(recorder, ended, wall_s=time.perf_counter() - clock.started)
    return replace(report, record=replace(record, run=final))


def diagnose_origin(config: RunConfig, problem: Problem, clock: Clock) -> Origin:
    """What the recorder cannot see of a `diagnose` run: the script, its seed, its loss, the budget."""
    from gradscope.recording.recorder import Origin

    return Origin(
        door="diagnose",
        script=str(config.script),
        seed=config.seed,
        default_optimizer=problem.default_optimizer,
        loss_source=problem.loss_source,
        classes=problem.loss_shape.get("classes"),
        budget_s=clock.budget,
    )
