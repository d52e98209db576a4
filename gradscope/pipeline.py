"""`gradscope diagnose` as one call: script -> Problem -> RunRecord -> Report.

The CLI parses options and renders; everything between lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gradscope import __version__
from gradscope.config import DEFAULT_STEPS, RunConfig
from gradscope.types import Report, RunInfo, RunRecord

if TYPE_CHECKING:
    import torch

    from gradscope import runner
    from gradscope.budget import Clock
    from gradscope.loader import Problem
    from gradscope.probe import Probe

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
    from gradscope import loader, runner
    from gradscope.budget import Clock, interruptible

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
) -> tuple[list[float], Probe]:
    """The measured run: as many steps as the plan made from the first steps' timing allows."""
    from gradscope.diagnosis import RULES

    wanted = config.steps or DEFAULT_STEPS
    need = max((r.min_steps for r in RULES), default=1)
    total = wanted
    last = time.perf_counter()
    planned = False

    def go_on(done: int, _loss: object) -> bool:
        nonlocal total, last, planned
        now = time.perf_counter()
        step_s, last = now - last, now
        clock.observe(step_s)
        if clock.stop_requested is not None:
            clock.cut = f"measuring, after {done} of {total} steps"
            return False
        # The second step's time: the first pays for lazy initialisation and warm-up; but a first
        # step that took a tenth of the budget is slow enough to plan from.
        slow = clock.budget is not None and step_s > 0.1 * clock.budget
        if not planned and (done >= 2 or done >= total or slow):
            planned = True
            plan = clock.make_plan(step_s, done, config.steps, wanted, need)
            total = plan.steps
            if announce is not None:
                announce(plan.line())
        return done < total

    tick = (lambda done: progress("measuring", done, total)) if progress else None
    losses, probe = session.run(wanted, progress=tick, go_on=go_on)
    assert probe is not None
    return losses, probe


def _diagnose(
    config: RunConfig,
    device: torch.device,
    progress: Progress | None,
    announce: Callable[[str], None] | None,
    clock: Clock,
) -> Report:
    from gradscope import loader, runner
    from gradscope.budget import Stopped
    from gradscope.report import build_report

    with loader.quiet_stdout():
        problem = loader.load(Path(config.script), config.steps or DEFAULT_STEPS)
        session = runner.Session.start(problem, device, config.seed)
    try:
        with loader.quiet_stdout():
            losses, probe = _measure(config, session, progress, announce, clock)
        if not probe.records:
            raise KeyboardInterrupt  # stopped before one step was measured: nothing to judge
        run = run_info(config, session, problem, probe.optimizer, len(probe.records), clock)
        record = RunRecord(run=run, layers=probe.layout.layers, steps=tuple(probe.records))
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
    stopped = clock.stop_requested is not None
    wall = round(time.perf_counter() - clock.started, 3)
    final = replace(run, wall_s=wall, partial=stopped, cut=clock.cut if stopped else None)
    return replace(report, record=replace(record, run=final))


def run_info(
    config: RunConfig,
    session: runner.Session,
    problem: Problem,
    optimizer: torch.optim.Optimizer,
    steps: int,
    clock: Clock,
) -> RunInfo:
    """What the run was: script, device, optimizer, sizes; the wall time is set at the end."""
    import torch

    model = problem.model
    return RunInfo(
        script=str(config.script),
        steps=steps,
        seed=config.seed,
        device=str(session.device),
        dtype=str(session.dtype).replace("torch.", ""),
        optimizer=type(optimizer).__name__,
        # The run's own optimizer: no scheduler runs, so its LRs are the start's.
        lr=tuple(float(g["lr"]) for g in optimizer.param_groups),
        torch=torch.__version__,
        gradscope=__version__,
        wall_s=0.0,
        default_optimizer=problem.default_optimizer,
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        loss_source=problem.loss_source,
        classes=problem.loss_shape.get("classes"),
        budget_s=clock.budget,
    )
