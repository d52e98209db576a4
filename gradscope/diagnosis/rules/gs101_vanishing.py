"""GS101 vanishing-gradient: early layers get gradients orders of magnitude weaker than later ones.

Gradient size alone says little: a converged model has tiny gradients and is
fine, and Adam turns a 1e-6 gradient into an lr-sized step. So a layer is
vanishing when its gradient fades with depth (far below a later dense layer's,
relative to its weights) and the fade has an effect: its update is far below
that of the layers that learn, or the gradient is below any optimizer's reach.
Norm layers, embeddings and lone biases have small or sparse gradients by
nature and are not judged by depth. A classifier whose loss never leaves the
uniform-guess level (ln C) needs less of a fade to be judged: something keeps
it from learning at all, and a 100x fade towards the input is the likely cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from gradscope.data.records import Finding, LayerStatus, RunRecord, Severity, Verdict, ratio
from gradscope.diagnosis.examples import mlp, record
from gradscope.diagnosis.facts import RELU_LIKE, Facts, LayerFacts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import AddBatchNorm, AddResidual, Remedy, ToReLU
from gradscope.diagnosis.rules._common import finding, names, sig


@dataclass(frozen=True)
class Limits:
    # rel_grad = ||g|| / ||W||: a layer's rel_grad this far below the strongest dense layer
    # after it is a depth fade (AUTOTRAINER uses 1e-3 for first/last layer).
    depth_ratio: float = 1e-3
    # ...and the optimizer did not make up for it: its update ratio this far below that of the
    # dense layers that move most (90th percentile). Adam rescales small gradients, SGD does not.
    update_gap: float = 1e-2
    # A gradient this small relative to its weights is noise for any optimizer.
    absolute_rel_grad: float = 1e-7
    # A cross-entropy loss that never gets below this share of ln(C) has learned nothing at all;
    # then a 50x fade and a 10x update gap are enough (the optimizer plainly did not make up for
    # the fade: Adam's compensation brings the gap near 1), since the fade is the likely reason.
    chance_band: float = 0.95
    chance_depth_ratio: float = 2e-2
    chance_update_gap: float = 1e-1
    # ...only while the layers that learn most move a healthy share per step: when every layer
    # barely moves, a loss stuck at chance is the learning rate's (GS302), not the fade's.
    chance_top_update: float = 1e-3


# The learned-nothing examples: a six-layer tanh classifier over 4 classes whose gradients fade
# 200x towards the input, its layers moving as MOVING says, its loss flat at ln 4 or falling.
MOVING = [5e-5, 1e-4, 3e-4, 2e-3, 1e-2, 6e-2]
AT_CHANCE = [1.39, 1.40, 1.37, 1.38, 1.41, 1.39, 1.36, 1.38, 1.40, 1.39]


def _tanh_classifier(update_ratio: list[float], losses: list[float]) -> RunRecord:
    return record(mlp(6, "Tanh"), grad=[5e-4, 1e-3, 3e-3, 0.02, 0.1, 0.15], update_ratio=update_ratio,
                  losses=losses, classes=4)  # fmt: skip


# Dense layers in sequence from which skip connections are worth suggesting.
RESIDUAL_MIN_DEPTH = 6


def _feeding_zero_init() -> RunRecord:
    """A six-layer net whose first layer feeds one that started at zero (a LoRA pair: A, then B = 0):
    the first layer's gradient passes through B's weights, 1e-5 of the others' while B grows."""
    run = record(mlp(6), grad=[1e-4, 0.5, 1.0, 1.0, 1.0, 1.0], update_ratio=[1e-6, 0.05, 1e-3, 1e-3, 1e-3, 1e-3])
    first = run.steps[0]
    started_at_zero = replace(first, weight_norm=(10.0, 0.0, *first.weight_norm[2:]))
    return replace(run, steps=(started_at_zero, *run.steps[1:]))


@rule(
    "GS101",
    "vanishing-gradient",
    "early layers get gradients orders of magnitude weaker than later ones and barely move",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.VANISHING,
    status=LayerStatus.VANISHING,
    consequence_of=("GS102", "GS301"),
    # A saturating activation is the usual cause; normalisation and skip connections keep the
    # gradient's scale through depth whatever the activation.
    remedy=Remedy((ToReLU(), AddBatchNorm(), AddResidual(min_depth=RESIDUAL_MIN_DEPTH))),
    fires=(
        Example(
            "a six-layer sigmoid net whose gradients fade 100x per layer towards the input",
            lambda: record(
                mlp(6, "Sigmoid"),
                grad=[1e-9, 1e-7, 1e-5, 1e-3, 0.1, 0.5],
                update_ratio=[1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 5e-3],
            ),
        ),
        Example(
            "a first layer whose gradient underflows to exact zeros, below a fading depth trend",
            lambda: record(
                mlp(6, "Sigmoid"),
                grad=[0.0, 1e-21, 1e-16, 1e-10, 1e-4, 0.5],
                update_ratio=[0.0, 1e-23, 1e-18, 1e-12, 1e-6, 5e-3],
            ),
        ),
        Example(
            "a deep tanh classifier stuck at ln(4) whose first layers get 200x weaker gradients",
            lambda: _tanh_classifier(MOVING, AT_CHANCE),
        ),
    ),
    quiet=(
        Example(
            "a converged model: tiny but even gradients through depth",
            lambda: record(mlp(6), grad=[1e-6] * 6, update_ratio=[1e-7] * 6, losses=[0.01] * 10),
        ),
        Example(
            "Adam moves every layer about lr whatever its gradient: a 1e-4 depth gap alone is not vanishing",
            lambda: record(mlp(6), grad=[1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.5], update_ratio=[1e-3] * 6, optimizer="Adam"),
        ),
        Example(
            "a layer feeding a zero-initialised one (LoRA's A before B = 0): its gradient is small by design",
            _feeding_zero_init,
        ),
        Example(
            "a classifier stuck at ln(4) whose every layer barely moves: a learning rate too low, not a fade",
            lambda: _tanh_classifier([r * 1e-4 for r in MOVING], AT_CHANCE),
        ),
        Example(
            "the same 200x fade in a classifier that learns (its loss falls below ln(4)) is not vanishing",
            lambda: _tanh_classifier(MOVING, [1.39 * 0.95**i for i in range(10)]),
        ),
    ),
)
def vanishing(facts: Facts, limits: Limits) -> Finding | None:
    # Zero-initialised layers have huge gradient/weight ratios by design; they are no yardstick.
    dense = [f for f in facts.dense() if math.isfinite(f.rel_grad) and not f.zero_init]
    if len(dense) < 2:
        return None
    top_update = facts.top_update_ratio()
    stuck = facts.learned_nothing(limits.chance_band) and top_update >= limits.chance_top_update
    depth_limit = limits.chance_depth_ratio if stuck else limits.depth_ratio
    gap_limit = limits.chance_update_gap if stuck else limits.update_gap
    feeds_zero_init = facts.feeding_zero_init()
    flagged: list[LayerFacts] = []
    strongest_after: dict[str, float] = {}
    for i, layer in enumerate(dense[:-1]):
        if layer.all_zero and layer.dead_frac >= 1.0 and layer.info.activation in RELU_LIKE:
            # Every unit passes nothing because its own ReLU is off for every input: a zero
            # gradient the dead-units rule explains, not a fade through depth.
            continue
        later = dense[i + 1 :]
        if layer.index in feeds_zero_init:
            # It feeds a layer that started at zero (LoRA's B, a zero-initialised residual
            # branch): its gradient passes through that layer's weights, small by design while
            # they grow, so it is no fade through depth.
            continue
        # The output head is often initialised small on purpose (gain 0.01 in PPO actors),
        # which makes its gradient/weight ratio huge: compare with the hidden layers when any.
        later = later[:-1] if len(later) >= 2 else later
        best = max(f.rel_grad for f in later)
        depth_gap = ratio(layer.rel_grad, best)
        update_gap = ratio(layer.update_ratio, top_update)
        if depth_gap < depth_limit and (update_gap < gap_limit or layer.rel_grad < limits.absolute_rel_grad):
            flagged.append(layer)
            strongest_after[layer.name] = depth_gap
    if not flagged:
        return None
    evidence = {
        "rel_grad": {f.name: sig(f.rel_grad) for f in flagged},
        "update_ratio": {f.name: sig(f.update_ratio) for f in flagged},
        "ratio_to_strongest_later_layer": {k: sig(v) for k, v in strongest_after.items()},
        "top_update_ratio": sig(top_update),
    }
    worst = min(strongest_after.values())
    return finding(
        vanishing,
        [f.name for f in flagged],
        evidence,
        f"{len(flagged)} early layer(s) ({names(flagged)}) get gradients down to {worst:.2g}x "
        "the strongest later layer's and barely move",
        "use ReLU-family activations, add normalisation (BatchNorm/LayerNorm) or residual connections",
    )
