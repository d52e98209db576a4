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
from gradscope.config import RunConfig
from gradscope.types import Report, RunInfo, RunRecord

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
    import torch

    from gradscope import loader, runner
    from gradscope.report import build_report

    with loader.quiet_stdout():
        problem = loader.load(Path(config.script), config.steps)
        session = runner.Session.start(problem, device, config.seed)
        tick = (lambda done: progress("measuring", done, config.steps)) if progress else None
        losses, probe = session.run(config.steps, progress=tick)
    assert probe is not None
    optimizer = probe.optimizer  # the run's own optimizer: no scheduler runs, so its LRs are the start's
    model = problem.model
    run = RunInfo(
        script=str(config.script),
        steps=config.steps,
        seed=config.seed,
        device=str(device),
        dtype=str(session.dtype).replace("torch.", ""),
        optimizer=type(optimizer).__name__,
        lr=tuple(float(g["lr"]) for g in optimizer.param_groups),
        torch=torch.__version__,
        gradscope=__version__,
        wall_s=0.0,
        default_optimizer=problem.default_optimizer,
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        loss_source=problem.loss_source,
        classes=problem.loss_shape.get("classes"),
    )
    record = RunRecord(run=run, layers=probe.layout.layers, steps=tuple(probe.records))
    with loader.quiet_stdout():
        report = build_report(
            record,
            session if config.verify else None,
            progress=progress,
            extra={"losses": losses},
        )
    wall = round(time.perf_counter() - started, 3)
    return replace(report, record=replace(record, run=replace(run, wall_s=wall)))
