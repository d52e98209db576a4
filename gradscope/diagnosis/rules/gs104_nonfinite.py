"""GS104 nonfinite: NaN or Inf in the loss, a gradient or a weight.

Any non-finite value is reported, wherever it appears: it is never noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Severity, Verdict
from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import Clip, LearningRate, Remedy
from gradscope.diagnosis.rules._common import finding, names


@dataclass(frozen=True)
class Limits:
    """No threshold: one NaN or Inf entry is enough."""


# A loss that grew this many times its first value before turning NaN/Inf ran away.
RUNAWAY_FACTOR = 2.0


def ran_away(facts: Facts) -> bool:
    """The loss grew (at least doubled) before it turned NaN/Inf."""
    if not facts.has_loss:
        return False
    losses = facts.losses
    finite: list[float] = []
    for v in losses:
        if not math.isfinite(v):
            break
        finite.append(v)
    if len(finite) < 2 or len(finite) == len(losses):
        return False
    return max(finite[1:]) > RUNAWAY_FACTOR * abs(finite[0])


@rule(
    "GS104",
    "nonfinite",
    "NaN or Inf in the loss, a gradient or a weight",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.NONFINITE,
    status=LayerStatus.NONFINITE,
    # NaN after the loss ran away is a learning-rate/explosion problem worth a number; NaN in
    # the data or the loss is not, and no number fixes it: kept only when a replay cures it.
    remedy=Remedy((LearningRate("down"), Clip()), when=ran_away, supplementary=True),
    fires=(
        Example(
            "three NaN gradient entries in the first layer",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, nonfinite=[3, 0, 0, 0]),
        ),
        Example(
            "a finite net whose loss turns NaN",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, losses=[2.0] * 5 + [math.nan] * 5),
        ),
    ),
    quiet=(Example("a healthy run", healthy),),
)
def nonfinite(facts: Facts, limits: Limits) -> Finding | None:
    bad = [f for f in facts.layers if f.nonfinite > 0]
    bad_loss = [i for i, v in enumerate(facts.losses) if not math.isfinite(v)]
    if not bad and not bad_loss:
        return None
    first = bad_loss[0] if bad_loss else None
    evidence: dict[str, object] = {
        "nonfinite_entries": {f.name: f.nonfinite for f in bad},
        "first_nonfinite_loss_step": first,
    }
    where = f" in {names(bad)}" if bad else ""
    loss_part = f"; the loss is NaN/Inf from step {first}" if first is not None else ""
    return finding(
        nonfinite,
        [f.name for f in bad],
        evidence,
        f"NaN/Inf values{where}{loss_part}",
        "check the data for NaN/Inf (torch.isfinite(x).all()), guard log/sqrt/division in the loss, "
        "and lower the learning rate if the loss grew before turning NaN",
    )
