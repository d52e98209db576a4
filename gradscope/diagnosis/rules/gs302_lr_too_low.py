"""GS302 lr-too-low: weights barely move for their size and the loss does not fall.

"Barely" is 1e-5 of their size per step for the layers that move most, so a model that has
converged (its steps small, its loss flat) stays quiet. A classifier whose loss never leaves the
uniform-guess level ln(C) has not converged: it has learned nothing, and under SGD its layers
moving less than a healthy 1e-3 is then enough (GS101's mirror image: with them moving more, a
depth fade is the likelier cause, and that rule takes it). Not under Adam and its kin: their
steps are lr-sized by design, and the usual small rates (1e-4 to 3e-4, PPO's 2.5e-4) move
weights that little per step while learning normally, only slowly at first.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from gradscope.data.records import Finding, Severity, Verdict
from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import LearningRate, Remedy
from gradscope.diagnosis.rules._common import finding, sig


@dataclass(frozen=True)
class Limits:
    # Even the dense layers that move most (90th percentile) move less than this per step.
    update_ratio: float = 1e-5
    # Relative drop under which the loss "does not fall": batch-to-batch noise alone moves a
    # short loss curve by a few percent.
    loss_drop: float = 0.05
    # A cross-entropy never below this share of ln(C) learned nothing; then the layers that move
    # most moving under this share of their size per step (a healthy step is ~1e-3) is enough.
    chance_band: float = 0.95
    chance_update_ratio: float = 1e-3


# Below this median ||g||/||W|| a flat loss with still weights may be convergence, not a starved LR.
CONVERGED_REL_GRAD = 1e-3


def small_gradients(facts: Facts) -> bool:
    """Gradients small for their weights (median dense layer under 1e-3), as at convergence."""
    values = [f.rel_grad for f in facts.dense() if math.isfinite(f.rel_grad)]
    return bool(values) and statistics.median(values) < CONVERGED_REL_GRAD


@rule(
    "GS302",
    "lr-too-low",
    "weights barely move for their size and the loss does not fall",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.STALLED,
    # Flat loss, still weights and small gradients: likely converged, not starved.
    remedy=Remedy(
        (LearningRate("up"),),
        unconfirmed="no higher learning rate tried lowered the loss and the gradients are small for their "
        "weights, so the model is likely converged, not starved",
        unconfirmed_if=small_gradients,
    ),
    needs_loss=True,
    min_steps=4,
    # Weights that barely move because the gradient vanishes on its way back, or because the
    # units pass no gradient at all, are the vanishing and dead-unit rules' findings; a larger
    # learning rate is not the cure for them.
    # Updates rounded away by bf16/fp16 weights (GS204) or skipped by a collapsing GradScaler
    # (GS205) are not starved by the learning rate either.
    yields_to=("GS101", "GS103", "GS204", "GS205"),
    fires=(
        Example(
            "weights moving 1e-8 of their size with a flat loss",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-8] * 4, losses=[1.386] * 10),
        ),
        Example(
            "a 16-token LM under SGD at chance (ln 16 = 2.77) for the whole run, its layers moving 1e-4 per step",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-4] * 4, losses=[2.78, 2.77] * 5, classes=16),
        ),
    ),
    quiet=(
        Example("a healthy run", healthy),
        Example(
            "a converged model: loss flat well below chance, layers moving 7e-4 per step",
            lambda: record(mlp(), grad=[0.02] * 4, update_ratio=[7e-4] * 4, losses=[0.31, 0.30] * 5, classes=16),
        ),
        Example(
            "Adam at a PPO-style 2.5e-4, still at chance after the run, its layers moving 5e-4 per step",
            lambda: record(
                mlp(),
                grad=[0.5] * 4,
                update_ratio=[5e-4] * 4,
                losses=[1.386, 1.384] * 5,
                classes=4,
                optimizer="Adam",
            ),
        ),
        Example(
            "at chance while the layers move a healthy 2e-3 per step: not the learning rate",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[2e-3] * 4, losses=[2.78, 2.77] * 5, classes=16),
        ),
    ),
)
def lr_too_low(facts: Facts, limits: Limits) -> Finding | None:
    if not facts.loss_finite:
        return None
    moves = facts.top_update_ratio()
    drop = facts.loss_drop()
    at_chance = not facts.adaptive and facts.learned_nothing(limits.chance_band)
    bar = limits.chance_update_ratio if at_chance else limits.update_ratio
    if not (moves < bar and drop < limits.loss_drop):
        return None
    return finding(
        lr_too_low,
        [],
        {"top_update_ratio": sig(moves), "loss_drop": sig(drop), "at_chance": at_chance, "lr": list(facts.lr)},
        f"weights move {moves:.2g} of their size per step and the loss fell {drop:.2%} in {facts.steps} steps"
        + (f", never leaving the uniform-guess level ln {facts.classes}" if at_chance else ""),
        "raise the learning rate",
    )
