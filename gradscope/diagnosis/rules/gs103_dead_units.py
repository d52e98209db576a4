"""GS103 dead-units: most units of a ReLU-style layer pass no gradient on any step."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Role, Severity, Verdict
from gradscope.diagnosis.examples import mlp, record
from gradscope.diagnosis.facts import RELU_LIKE, Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import KaimingInit, Remedy, ToLeakyReLU
from gradscope.diagnosis.rules._common import finding, names, sig


@dataclass(frozen=True)
class Limits:
    # Share of a layer's units whose bias gradient is exactly zero on every step. Half the
    # units is where SageMaker Debugger's DeadRelu fires too; ReLU nets live with a few dead.
    dead_unit_frac: float = 0.5


@rule(
    "GS103",
    "dead-units",
    "most units of a ReLU-style layer pass no gradient on any step",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.DEAD,
    status=LayerStatus.DEAD,
    consequence_of=("GS102", "GS301"),
    remedy=Remedy(
        (
            KaimingInit(
                "units die when their pre-activation is negative for every input, as a negative "
                "bias or an oversized weight makes it; ",
                zero_bias=True,
            ),
            ToLeakyReLU(),
        )
    ),
    fires=(
        Example(
            "90% and 80% of two ReLU layers' units silent",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, dead=[0.9, 0.8, 0.0, 0.0]),
        ),
    ),
    quiet=(
        Example(
            "the same zero shares behind a sigmoid: no ReLU, no dead units",
            lambda: record(mlp(4, "Sigmoid"), grad=[0.5] * 4, update_ratio=[1e-3] * 4, dead=[0.0, 0.1, 0.0, 0.0]),
        ),
    ),
)
def dead_units(facts: Facts, limits: Limits) -> Finding | None:
    flagged = [
        f
        for f in facts.layers
        if f.info.role is Role.DENSE
        and f.info.trainable
        and f.grad_steps > 0
        and f.info.activation in RELU_LIKE
        and f.info.activation is not None
        and f.dead_frac >= limits.dead_unit_frac
    ]
    if not flagged:
        return None
    return finding(
        dead_units,
        [f.name for f in flagged],
        {"dead_unit_frac": {f.name: sig(f.dead_frac) for f in flagged}, "threshold": limits.dead_unit_frac},
        f"{names(flagged)}: at least {min(f.dead_frac for f in flagged):.0%} of units pass no gradient "
        "on any step (dead ReLUs)",
        "use LeakyReLU/GELU, lower the learning rate, or re-initialise biases at zero (kaiming init)",
    )
