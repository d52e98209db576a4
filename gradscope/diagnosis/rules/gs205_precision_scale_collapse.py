"""GS205 precision-scale-collapse: float16 mixed precision whose GradScaler skips most steps.

GradScaler multiplies the loss before backward so that small float16 gradients do not flush to
zero, and skips a step (halving its scale) when a gradient overflows. Its first steps calibrate
the scale down from 65536 by skipping, which is normal; after that a skip should be rare. When
the forward itself overflows float16 (activations past 65504: raw int16-scale audio, a
large-magnitude input), every gradient is inf or NaN whatever the scale: the scaler skips every
step, halves its scale towards zero and the model never trains, while nothing else looks wrong.
bfloat16 has float32's range and needs no scaler, the verified cure; a lower learning rate or
clipping after `scaler.unscale_` help when it is the weights, not the inputs, that grew.

Fires when, after the calibrating skips before the first step taken, at least half of the
iterations were skipped, when no step was taken at all in several iterations, or when the scale
fell below 1 (gradients that overflow even unscaled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from gradscope.data.records import Finding, RunInfo, RunRecord, Severity, Verdict
from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import Remedy, ToBFloat16
from gradscope.diagnosis.rules._common import finding, sig


@dataclass(frozen=True)
class Limits:
    # After the calibration, the share of iterations skipped that is a collapse.
    skipped_share: float = 0.5
    # Iterations with no step taken at all before that is a collapse, not a calibration.
    none_taken: int = 4
    # A scale below this: gradients overflow float16 even unscaled.
    min_scale: float = 1.0


def calibration(run: RunInfo) -> int:
    """Skips before the first step taken: the scale halved from its start to that step's."""
    scales = run.loss_scales
    if len(scales) < 2 or scales[1] <= 0 or scales[0] <= scales[1]:
        return 0
    return round(math.log2(scales[0] / scales[1]))


def _scaled(base: RunRecord, scales: tuple[float, ...], iterations: int, skipped: int) -> RunRecord:
    run = replace(base.run, precision="16-mixed", loss_scales=scales, scaler_iterations=iterations)
    return replace(base, run=replace(run, skipped_steps=skipped))


def _all_skipped() -> RunRecord:
    base = record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, steps=0, losses=[])
    return _scaled(base, (65536.0, 0.0625), 20, 20)


@rule(
    "GS205",
    "precision-scale-collapse",
    "float16 mixed precision: GradScaler skips most steps or its scale collapses",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.PRECISION,
    min_steps=0,
    remedy=Remedy((ToBFloat16(),)),
    fires=(
        Example("every one of 20 iterations skipped, the scale 65536 -> 0.0625", _all_skipped),
        Example(
            "after 3 calibrating skips, 12 of the next 17 iterations skipped",
            lambda: _scaled(
                record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, steps=5),
                (65536.0, 8192.0, 4096.0, 1024.0, 256.0, 16.0, 0.25),
                20,
                15,
            ),
        ),
    ),
    quiet=(
        Example("no GradScaler", healthy),
        Example(
            "16-mixed calibrating: 8 skips 65536 -> 256 before the first step, none after",
            lambda: _scaled(
                record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, steps=12),
                (65536.0,) + (256.0,) * 13,
                20,
                8,
            ),
        ),
    ),
)
def precision_scale_collapse(facts: Facts, limits: Limits) -> Finding | None:
    rec = facts.record
    if rec is None or not rec.run.loss_scales:
        return None
    run = rec.run
    iterations = max(run.scaler_iterations, run.skipped_steps + len(rec.steps))
    skipped = run.skipped_steps
    taken = iterations - skipped
    scales = run.loss_scales
    low = min(scales)
    # A fused optimizer's scaler leaves only the first and last scale, so every skip reads as the
    # calibration's: such a run is judged by its scale's floor and by no step taken (known gap).
    settled = calibration(run) if taken > 0 else 0
    after = iterations - settled
    late = skipped - settled
    collapsed = (
        (taken == 0 and iterations >= limits.none_taken)
        or (after > 0 and late / after >= limits.skipped_share and late >= 2)
        or low < limits.min_scale
    )
    if not collapsed:
        return None
    return finding(
        precision_scale_collapse,
        [],
        {
            "skipped": skipped,
            "iterations": iterations,
            "skipped_share": sig(skipped / iterations) if iterations else 0.0,
            "scale_start": sig(scales[0]),
            "scale_end": sig(scales[-1]),
            "scale_min": sig(low),
        },
        f"GradScaler skipped {skipped} of {iterations} steps on inf/NaN gradients and its scale fell "
        f"{scales[0]:.3g} -> {scales[-1]:.3g}: float16 overflows"
        + (" whatever the scale, so the model never trains" if taken == 0 else ", so most steps never train"),
        "train in bf16-mixed (bfloat16 has float32's range: no overflow, no scaler), or find what overflows "
        "(inputs at int16 scale, activations past 65504); with growing weights, a lower learning rate or "
        "clipping after scaler.unscale_(optimizer)",
    )
