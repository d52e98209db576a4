"""GS203 frozen: parameters with requires_grad=False, reported so a forgotten freeze is seen."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Severity
from gradscope.diagnosis.examples import healthy, layer, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, names


@dataclass(frozen=True)
class Limits:
    """No threshold: requires_grad is a fact, not a measurement."""


@rule(
    "GS203",
    "frozen",
    "parameters with requires_grad=False (reported so a forgotten freeze is seen)",
    Severity.INFO,
    limits=Limits(),
    status=LayerStatus.FROZEN,
    fires=(
        Example(
            "a frozen stem before a trained MLP",
            lambda: record(
                [layer("stem", trainable=False), *mlp(3)],
                grad=[0.0, 0.5, 0.5, 0.5],
                update_ratio=[0.0, 1e-3, 1e-3, 1e-3],
                has_grad=[False, True, True, True],
            ),
        ),
    ),
    quiet=(Example("every layer trainable", healthy),),
)
def frozen(facts: Facts, limits: Limits) -> Finding | None:
    flagged = [f for f in facts.layers if not f.info.trainable]
    if not flagged:
        return None
    return finding(
        frozen,
        [f.name for f in flagged],
        {"params": sum(f.info.params for f in flagged)},
        f"{len(flagged)} layer(s) are frozen (requires_grad=False): {names(flagged)}",
        "nothing, if freezing is intended",
    )
