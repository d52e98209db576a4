"""`gradscope diagnose` as one call: script -> Problem -> RunRecord -> the core -> Report.

The CLI parses options and renders; this door loads the script, measures its steps within
the time budget, and hands the record to gradscope.advice.report.assemble with the one thing
only this door has: a session that can replay the steps from the same start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from gradscope.advice.budget import Clock, Stopped
from gradscope.advice.candidates import MOST_REPLAYS
from gradscope.advice.report import Source, assemble
from gradscope.config import DEFAULT_STEPS, RunConfig
from gradscope.data.notes import Note, NoteCode, Voice
from gradscope.data.records import Report
from gradscope.diagnosis import RULES
from gradscope.doors.session import Session, resolve_device, seed_everything
from gradscope.doors.signals import interruptible
from gradscope.load import script as loader
from gradscope.load.sandbox import isolated, quiet_stdout
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
    device = resolve_device(config.device)
    seed_everything(config.seed)
    clock = Clock(config.budget, started)
    # The script's modules, sys.path entry and bytecode setting are undone afterwards,
    # even if it fails, so nothing is written beside it and a second run starts clean.
    with interruptible(clock), isolated():
        return _diagnose(config, device, progress, announce, clock)


def _measure(
    config: RunConfig,
    session: Session,
    progress: Progress | None,
    announce: Callable[[str], None] | None,
    clock: Clock,
) -> tuple[list[float], Recorder]:
    """The measured run: as many steps as the plan made from the first steps' timing allows."""
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
    losses, recorder = session.run(wanted, recorded=True, progress=tick, go_on=go_on)
    assert recorder is not None
    return losses, recorder


def _source(
    config: RunConfig, session: Session, clock: Clock, progress: Progress | None, losses: list[float]
) -> Source:
    """What this door gives the core: its session to replay on, unless --no-verify or a stop came first."""
    shortfall = clock.plan.shortfall() if clock.plan is not None else None
    replay = config.verify and clock.stop_requested is None
    return Source(
        voice=Voice(door="diagnose", script=str(config.script)),
        replays=session if replay else None,
        clock=clock,
        progress=progress,
        unverified=_unverified(clock),
        notes=(shortfall,) if shortfall is not None else (),
        extra={"losses": losses},
        started=clock.started,
    )


def _unverified(clock: Clock) -> Note:
    if clock.stop_requested is not None:
        return Note(NoteCode.NUMBERS_UNVERIFIED, {"why": "stopped", "by": clock.stop_requested})
    return Note(NoteCode.NUMBERS_UNVERIFIED, {"why": "no_verify"})


def _diagnose(
    config: RunConfig,
    device: torch.device,
    progress: Progress | None,
    announce: Callable[[str], None] | None,
    clock: Clock,
) -> Report:
    with quiet_stdout():
        problem = loader.load(Path(config.script), config.steps or DEFAULT_STEPS)
        session = Session.start(problem, device, config.seed, config.precision or problem.precision)
    try:
        with quiet_stdout():
            losses, recorder = _measure(config, session, progress, announce, clock)
        if not recorder.probe.records and not recorder.probe.skipped:
            # Stopped before one step was measured: nothing to judge. (A GradScaler that skipped
            # every step is a finding, not a stop.)
            raise KeyboardInterrupt
        record = recorder.record(diagnose_origin(config, problem, clock))
        source = _source(config, session, clock, progress, losses)
        with quiet_stdout():
            try:
                return assemble(record, source)
            except Stopped:
                # Stopped while replaying: the judgement stands, the numbers go unverified.
                return assemble(record, _source(config, session, clock, None, losses))
    finally:
        session.close()


def diagnose_origin(config: RunConfig, problem: Problem, clock: Clock) -> Origin:
    """What the recorder cannot see of a `diagnose` run: the script, its seed, its loss, the budget."""
    return Origin(
        door="diagnose",
        script=str(config.script),
        seed=config.seed,
        default_optimizer=problem.default_optimizer,
        loss_source=problem.loss_source,
        classes=problem.loss_shape.get("classes"),
        budget_s=clock.budget,
        precision=config.precision or problem.precision,
    )
