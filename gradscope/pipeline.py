"""`gradscope diagnose` as one call: script -> Problem -> RunRecord -> Report.

The CLI parses options and renders; everything between lives here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from gradscope import __version__
from gradscope.config import RunConfig, Thresholds
from gradscope.types import Report, RunInfo, RunRecord

# (phase, done, total): "measuring" over the probe's steps, "verifying" over re-runs.
Progress = Callable[[str, int, int], None]


def run_diagnosis(
    config: RunConfig, thresholds: Thresholds | None = None, progress: Progress | None = None
) -> Report:
    """Load the script, measure, judge, recommend (and verify). Raises GradscopeError."""
    started = time.perf_counter()
    import torch

    from gradscope import loader, runner
    from gradscope.diagnosis import diagnose
    from gradscope.recommend import recommend

    device = runner.resolve_device(config.device)
    runner.seed_everything(config.seed)
    try:
        with loader.quiet_stdout():
            problem = loader.load(Path(config.script), config.steps)
            session = runner.Session.start(problem, device, config.seed)
            tick = (lambda done: progress("measuring", done, config.steps)) if progress else None
            records, losses, probe, _ = session.run(config.steps, progress=tick)
    finally:
        loader.unload()
    assert probe is not None
    optimizer = session.reset()  # a fresh optimizer only to read its class and learning rates
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
    )
    record = RunRecord(run=run, layers=probe.layout.layers, steps=tuple(records))
    verdict_of = diagnose(record, thresholds)
    with loader.quiet_stdout():
        recs, findings, verdict, statuses, notes = recommend(
            record, verdict_of, session if config.verify else None, thresholds, progress
        )
    from dataclasses import replace

    record = replace(record, run=replace(run, wall_s=round(time.perf_counter() - started, 3)))
    return Report(
        record=record,
        verdict=verdict,
        statuses=statuses,
        findings=findings,
        recommendations=recs,
        notes=(*verdict_of.notes, *notes),
        extra={"losses": losses},
    )
