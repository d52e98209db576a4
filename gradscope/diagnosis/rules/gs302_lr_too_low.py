"""GS302 lr-too-low: weights barely move for their size and the loss does not fall."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, sig
from gradscope.types import Finding, Severity, Verdict


@dataclass(frozen=True)
class Limits:
    # Even the dense layers that move most (90th percentile) move less than this per step.
    update_ratio: float = 1e-5
    # Relative drop under which the loss "does not fall": batch-to-batch noise alone moves a
    # short loss curve by a few percent.
    loss_drop: float = 0.05


@rule(
    "GS302",
    "lr-too-low",
    "weights barely move for their size and the loss does not fall",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.STALLED,
    needs_loss=True,
    min_steps=4,
    # Weights that barely move because the gradient vanishes on its way back are the
    # vanishing rule's finding; a larger learning rate is not the cure for them.
    yields_to=("GS101",),
    fires=(
        Example(
            "weights moving 1e-8 of their size with a flat loss",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-8] * 4, losses=[1.386] * 10),
        ),
    ),
    quiet=(Example("a healthy run", healthy),),
)
def lr_too_low(facts: Facts, limits: Limits) -> Finding | None:
    if not facts.loss_finite:
        return None
    moves = facts.top_update_ratio()
    drop = facts.loss_drop()
    if not (moves < limits.update_ratio and drop < limits.loss_drop):
        return None
    return finding(
        lr_too_low,
        [],
        {"top_update_ratio": sig(moves), "loss_drop": sig(drop), "lr": list(facts.lr)},
        f"weights move {moves:.2g} of their size per step and the loss fell {drop:.2%} in {facts.steps} steps",
        "raise the learning rate",
    )
