"""`gradscope diagnose` as one call: script -> Problem -> RunRecord -> Report.

The CLI parses options and renders; everything between lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gradscope.config import RunConfig
from gradscope.types import Report

if TYPE_CHECKING:
    import torch

# (phase, done, total): "measuring" over the probe's steps, "verifying ..." over re-runs.
Progress = Callable[[str, int, int], None]


def run_diagnosis(config: RunConfig, progress: Progress | None = None) -> Report:
    """Load the script, measure, judge, recommend (and verify). Raises GradscopeError."""
    started = time.perf_counter()
    from gradscope import loader, runner

    device = runner.resolve_device(config.device)
    runner.seed_everything(config.seed)
    # The script's modules, sys.path entry and bytecode setting are undone afterwards,
    # even if it fails, so nothing is written beside it and a second run starts clean.
    with loader.isolated():
        return _diagnose(config, device, progress, started)


def _diagnose(
    config: RunConfig,
    device: torch.device,
    progress: Progress | None,
    started: float,
) -> Report:
    from gradscope import loader, runner
    from gradscope.recorder import Origin
    from gradscope.report import build_report

    with loader.quiet_stdout():
        problem = loader.load(Path(config.script), config.steps)
        session = runner.Session.start(problem, device, config.seed)
        tick = (lambda done: progress("measuring", done, config.steps)) if progress else None
        losses, recorder = session.run(config.steps, progress=tick)
    assert recorder is not None
    origin = Origin(
        door="diagnose",
        script=str(config.script),
        seed=config.seed,
        default_optimizer=problem.default_optimizer,
        loss_source=problem.loss_source,
        classes=problem.loss_shape.get("classes"),
    )
    record = recorder.record(origin)
    run = record.run
    with loader.quiet_stdout():
        report = build_report(
            record,
            session if config.verify else None,
            progress=progress,
            extra={"losses": losses},
        )
    wall = round(time.perf_counter() - started, 3)
    return replace(report, record=replace(record, run=replace(run, wall_s=wall)))
