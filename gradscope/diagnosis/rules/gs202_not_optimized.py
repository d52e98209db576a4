"""GS202 not-optimized: parameters that get a gradient but are not held by the optimizer."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Severity
from gradscope.diagnosis.examples import healthy, layer, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, names, sig


@dataclass(frozen=True)
class Limits:
    """No threshold: whether the optimizer holds a parameter is a fact."""


@rule(
    "GS202",
    "not-optimized",
    "parameters that get a gradient but are not held by the optimizer, so they never move",
    Severity.WARNING,
    limits=Limits(),
    status=LayerStatus.NOT_OPTIMIZED,
    fires=(
        Example(
            "a head left out of the optimizer",
            lambda: record(
                [*mlp(3), layer("head", optimized=False, act=None)],
                grad=[0.5] * 4,
                update_ratio=[1e-3, 1e-3, 1e-3, 0.0],
            ),
        ),
    ),
    quiet=(
        Example("every layer optimised", healthy),
        Example(
            "a frozen layer is not held by the optimizer, but gets no gradient either",
            lambda: record(
                [*mlp(3), layer("head", optimized=False, trainable=False, act=None)],
                grad=[0.5, 0.5, 0.5, 0.0],
                update_ratio=[1e-3, 1e-3, 1e-3, 0.0],
                has_grad=[True, True, True, False],
            ),
        ),
    ),
)
def not_optimized(facts: Facts, limits: Limits) -> Finding | None:
    flagged = [f for f in facts.layers if f.info.trainable and not f.info.optimized and f.grad_steps > 0]
    if not flagged:
        return None
    return finding(
        not_optimized,
        [f.name for f in flagged],
        {"grad_norm": {f.name: sig(f.grad_norm) for f in flagged}},
        f"{names(flagged)} get gradients but the optimizer does not hold them, so they never change",
        "build the optimizer from model.parameters() (or add these to a param group)",
    )
