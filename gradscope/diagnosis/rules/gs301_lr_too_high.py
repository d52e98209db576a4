"""GS301 lr-too-high: the loss rises or swings while gradients stay finite and weights move a lot."""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.diagnosis.examples import mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, sig
from gradscope.types import Finding, Severity, Verdict, ratio


@dataclass(frozen=True)
class Limits:
    # Weights rewritten by this share of their size each step is a large step.
    update_ratio: float = 0.1
    # The end of the loss curve above its start by this fraction is a rising loss.
    loss_rise: float = 0.2
    # Thrashing: the median dense layer rewritten by 5% of its size per step (50x a typical
    # healthy 1e-3) while the loss ends no lower than it began.
    thrash_update_ratio: float = 0.05
    # Relative drop under which the loss "does not fall".
    loss_drop: float = 0.05


@rule(
    "GS301",
    "lr-too-high",
    "the loss rises or swings while gradients stay finite, and weights change by a large share each step",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.UNSTABLE,
    needs_loss=True,
    fires=(
        Example(
            "a loss that climbs 30-fold while weights move 30% per step",
            lambda: record(
                mlp(),
                grad=[2.0] * 4,
                update_ratio=[0.3] * 4,
                losses=[2.0, 3.5, 2.8, 6.0, 9.0, 7.5, 15.0, 30.0, 22.0, 60.0],
            ),
        ),
    ),
    quiet=(
        Example(
            "large steps while the loss falls steadily: a brisk, healthy start",
            lambda: record(mlp(), grad=[2.0] * 4, update_ratio=[0.05] * 4, losses=[2.0 * 0.8**i for i in range(10)]),
        ),
    ),
)
def lr_too_high(facts: Facts, limits: Limits) -> Finding | None:
    if len(facts.losses) < 4 or not facts.loss_finite:
        return None
    start, end = facts.loss_start(), facts.loss_end()
    rise = ratio(end - start, abs(start)) if start else 0.0
    diffs = [b - a for a, b in zip(facts.losses, facts.losses[1:], strict=False)]
    ups = sum(1 for d in diffs if d > 0)
    swing = ratio(max(facts.losses) - min(facts.losses), abs(start)) if start else 0.0
    big_moves = facts.median_update_ratio()
    diverging = rise > limits.loss_rise
    oscillating = ups >= len(diffs) / 2 and swing > 1.0 and facts.loss_drop() < 0.5
    from_first = ratio(facts.losses[0] - end, abs(facts.losses[0])) if facts.losses[0] else 0.0
    thrashing = big_moves > limits.thrash_update_ratio and from_first < limits.loss_drop
    if not (diverging or oscillating or thrashing) or not big_moves > limits.update_ratio / 10:
        return None
    shape = "diverging" if diverging else "swinging" if oscillating else "not falling"
    return finding(
        lr_too_high,
        [],
        {
            "loss_start": sig(start),
            "loss_end": sig(end),
            "loss_rise": sig(rise),
            "rising_steps": ups,
            "median_update_ratio": sig(big_moves),
            "lr": list(facts.lr),
        },
        f"the loss went from {start:.3g} to {end:.3g} ({shape}) "
        f"while weights moved {big_moves:.2g} of their size per step",
        "lower the learning rate",
    )
