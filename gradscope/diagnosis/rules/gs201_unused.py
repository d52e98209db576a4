"""GS201 unused-parameter: trainable parameters that never receive a gradient."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Severity
from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, names


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
    quiet=(
        Example("every layer gets a gradient", healthy),
        Example(
            "a first layer in the forward pass whose gradient underflows to exact zeros is not unused",
            lambda: record(mlp(4, "Sigmoid"), grad=[0.0, 1e-20, 1e-10, 0.5], update_ratio=[0.0, 1e-22, 1e-12, 1e-3]),
        ),
    ),
)
def unused(facts: Facts, limits: Limits) -> Finding | None:
    # Only a gradient that is None on every step: a layer in the forward pass whose gradient
    # is exactly zero (underflow, dead units) is judged by the gradient-flow rules instead.
    flagged = [f for f in facts.layers if f.info.trainable and f.grad_steps == 0]
    if not flagged:
        return None
    return finding(
        unused,
        [f.name for f in flagged],
        {"params": {f.name: f.info.params for f in flagged}, "steps": facts.steps},
        f"{names(flagged)} never received a gradient in {facts.steps} steps",
        "call these modules in forward(), or delete them / set requires_grad=False if unused on purpose",
    )
