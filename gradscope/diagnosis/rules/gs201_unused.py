"""GS201 unused-parameter: trainable parameters that never receive a gradient."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import RELU_LIKE, Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, names
from gradscope.types import Finding, LayerStatus, Severity


@dataclass(frozen=True)
class Limits:
    """No threshold: a missing gradient is a fact."""


@rule(
    "GS201",
    "unused-parameter",
    "trainable parameters that never receive a gradient (not in the forward pass)",
    Severity.WARNING,
    limits=Limits(),
    status=LayerStatus.UNUSED,
    fires=(
        Example(
            "a layer whose gradient is None on every step",
            lambda: record(
                mlp(),
                grad=[0.5, 0.5, 0.0, 0.5],
                update_ratio=[1e-3, 1e-3, 0.0, 1e-3],
                has_grad=[True, True, False, True],
            ),
        ),
    ),
    quiet=(Example("every layer gets a gradient", healthy),),
)
def unused(facts: Facts, limits: Limits) -> Finding | None:
    flagged = [
        f
        for f in facts.layers
        if f.info.trainable
        and (f.grad_steps == 0 or (f.all_zero and f.info.activation not in RELU_LIKE - {None}))
        and not (f.dead_frac >= 1.0 and f.info.activation in RELU_LIKE - {None})
    ]
    if not flagged:
        return None
    return finding(
        unused,
        [f.name for f in flagged],
        {"params": {f.name: f.info.params for f in flagged}, "steps": facts.steps},
        f"{names(flagged)} never received a gradient in {facts.steps} steps",
        "call these modules in forward(), or delete them / set requires_grad=False if unused on purpose",
    )
