"""The rules. Each is a small pure function over Facts with a stable code.

Judgement notes (why the rules look at what they look at):
- Gradient size alone says little: a converged model has tiny gradients and is
  fine; Adam turns a 1e-6 gradient into an lr-sized step. So vanishing needs a
  depth trend (early dense layers far weaker than later ones) and an effect
  (their updates far below the other layers', or a gradient below any
  optimizer's reach).
- Norm layers, embeddings and lone biases have small or sparse gradients by
  nature: the depth rules look at dense layers only.
- Learning-rate rules need the loss: without one they do not run.
"""

from __future__ import annotations

import math

from gradscope.config import Thresholds
from gradscope.diagnosis.facts import RELU_LIKE, Facts, LayerFacts
from gradscope.diagnosis.registry import Rule, rule
from gradscope.types import Finding, LayerStatus, Role, Severity, Verdict, ratio


def _finding(r: Rule, layers: list[str], evidence: dict[str, object], message: str, fix: str) -> Finding:
    return Finding(
        code=r.code,
        rule=r.name,
        severity=r.severity,
        layers=tuple(layers),
        evidence=evidence,  # type: ignore[arg-type]
        message=message,
        fix=fix,
        verdict=r.verdict,
        status=r.status,
    )


def _sig(x: float) -> float:
    return float(f"{x:.3g}") if math.isfinite(x) else x


def _names(layers: list[LayerFacts], limit: int = 6) -> str:
    names = [f.name for f in layers]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- GS1xx: gradient flow ------------------------------------------------------


@rule(
    "GS104",
    "nonfinite",
    "NaN or Inf in the loss, a gradient or a weight",
    Severity.ERROR,
    Verdict.NONFINITE,
    LayerStatus.NONFINITE,
)
def nonfinite(facts: Facts, t: Thresholds) -> Finding | None:
    bad = [f for f in facts.layers if f.nonfinite > 0]
    bad_loss = [i for i, v in enumerate(facts.losses) if not math.isfinite(v)]
    if not bad and not bad_loss:
        return None
    first = bad_loss[0] if bad_loss else None
    evidence: dict[str, object] = {
        "nonfinite_entries": {f.name: f.nonfinite for f in bad},
        "first_nonfinite_loss_step": first,
    }
    where = f" in {_names(bad)}" if bad else ""
    loss_part = f"; the loss is NaN/Inf from step {first}" if first is not None else ""
    return _finding(
        nonfinite,
        [f.name for f in bad],
        evidence,
        f"NaN/Inf values{where}{loss_part}",
        "check the data for NaN/Inf (torch.isfinite(x).all()), guard log/sqrt/division in the loss, "
        "and lower the learning rate if the loss grew before turning NaN",
    )


@rule(
    "GS102",
    "exploding-gradient",
    "gradients far larger than the weights they update, or growing 100x towards the input",
    Severity.ERROR,
    Verdict.EXPLODING,
    LayerStatus.EXPLODING,
)
def exploding(facts: Facts, t: Thresholds) -> Finding | None:
    dense = [f for f in facts.dense() if math.isfinite(f.rel_grad)]
    if not dense:
        return None
    # A zero-initialised layer (LoRA B, zero-init output heads) has a tiny norm by design, so
    # its gradient/weight ratio is huge while nothing is wrong: judge it by depth growth only.
    flagged = [f for f in dense if f.rel_grad > t.explode_rel_grad and not f.zero_init]
    last = dense[-1]
    growth = [f for f in dense[:-1] if ratio(f.rel_grad, last.rel_grad) > t.explode_depth_ratio]
    total = max((v for v in facts.total_grad_norms if math.isfinite(v)), default=0.0)
    if not flagged and not (growth and total > t.explode_total_grad_norm):
        return None
    chosen = sorted({f.index for f in flagged + growth})
    layers = [facts.layers[i] for i in chosen]
    evidence = {
        "rel_grad": {f.name: _sig(f.rel_grad) for f in layers},
        "max_total_grad_norm": _sig(total),
        "threshold_rel_grad": t.explode_rel_grad,
    }
    return _finding(
        exploding,
        [f.name for f in layers],
        evidence,
        f"gradients up to {max(f.rel_grad for f in layers):.3g}x the weights' norm in {_names(layers)} "
        f"(total gradient norm up to {total:.3g})",
        "clip the gradient norm, and fix the initialisation (kaiming/xavier) or add normalisation",
    )


@rule(
    "GS101",
    "vanishing-gradient",
    "early layers get gradients orders of magnitude weaker than later ones and barely move",
    Severity.ERROR,
    Verdict.VANISHING,
    LayerStatus.VANISHING,
)
def vanishing(facts: Facts, t: Thresholds) -> Finding | None:
    # Zero-initialised layers have huge gradient/weight ratios by design; they are no yardstick.
    dense = [f for f in facts.dense() if math.isfinite(f.rel_grad) and not f.zero_init]
    if len(dense) < 2:
        return None
    top_update = facts.top_update_ratio()
    flagged: list[LayerFacts] = []
    strongest_after: dict[str, float] = {}
    for i, layer in enumerate(dense[:-1]):
        later = dense[i + 1 :]
        # The output head is often initialised small on purpose (gain 0.01 in PPO actors),
        # which makes its gradient/weight ratio huge: compare with the hidden layers when any.
        later = later[:-1] if len(later) >= 2 else later
        best = max(f.rel_grad for f in later)
        depth_gap = ratio(layer.rel_grad, best)
        update_gap = ratio(layer.update_ratio, top_update)
        # The gradient fades with depth, and either the optimizer did not make up for it
        # or the gradient is below what any optimizer can use.
        if depth_gap < t.vanish_depth_ratio and (
            update_gap < t.vanish_update_gap or layer.rel_grad < t.vanish_absolute_rel_grad
        ):
            flagged.append(layer)
            strongest_after[layer.name] = depth_gap
    if not flagged:
        return None
    evidence = {
        "rel_grad": {f.name: _sig(f.rel_grad) for f in flagged},
        "update_ratio": {f.name: _sig(f.update_ratio) for f in flagged},
        "ratio_to_strongest_later_layer": {k: _sig(v) for k, v in strongest_after.items()},
        "top_update_ratio": _sig(top_update),
    }
    worst = min(strongest_after.values())
    return _finding(
        vanishing,
        [f.name for f in flagged],
        evidence,
        f"{len(flagged)} early layer(s) ({_names(flagged)}) get gradients down to {worst:.2g}x "
        "the strongest later layer's and barely move",
        "use ReLU-family activations, add normalisation (BatchNorm/LayerNorm) or residual connections",
    )


@rule(
    "GS103",
    "dead-units",
    "most units of a ReLU-style layer pass no gradient on any step",
    Severity.ERROR,
    Verdict.DEAD,
    LayerStatus.DEAD,
)
def dead_units(facts: Facts, t: Thresholds) -> Finding | None:
    flagged = [
        f
        for f in facts.layers
        if f.info.role is Role.DENSE
        and f.info.trainable
        and f.grad_steps > 0
        and f.info.activation in RELU_LIKE
        and f.info.activation is not None
        and f.dead_frac >= t.dead_unit_frac
    ]
    if not flagged:
        return None
    return _finding(
        dead_units,
        [f.name for f in flagged],
        {"dead_unit_frac": {f.name: _sig(f.dead_frac) for f in flagged}, "threshold": t.dead_unit_frac},
        f"{_names(flagged)}: at least {min(f.dead_frac for f in flagged):.0%} of units pass no gradient "
        "on any step (dead ReLUs)",
        "use LeakyReLU/GELU, lower the learning rate, or re-initialise biases at zero (kaiming init)",
    )


# -- GS2xx: set-up ---------------------------------------------------------------


@rule(
    "GS201",
    "unused-parameter",
    "trainable parameters that never receive a gradient (not in the forward pass)",
    Severity.WARNING,
    None,
    LayerStatus.UNUSED,
)
def unused(facts: Facts, t: Thresholds) -> Finding | None:
    flagged = [
        f
        for f in facts.layers
        if f.info.trainable
        and (f.grad_steps == 0 or (f.all_zero and f.info.activation not in RELU_LIKE - {None}))
        and not (f.dead_frac >= 1.0 and f.info.activation in RELU_LIKE - {None})
    ]
    if not flagged:
        return None
    return _finding(
        unused,
        [f.name for f in flagged],
        {"params": {f.name: f.info.params for f in flagged}, "steps": facts.steps},
        f"{_names(flagged)} never received a gradient in {facts.steps} steps",
        "call these modules in forward(), or delete them / set requires_grad=False if unused on purpose",
    )


@rule(
    "GS202",
    "not-optimized",
    "parameters that get a gradient but are not held by the optimizer, so they never move",
    Severity.WARNING,
    None,
    LayerStatus.NOT_OPTIMIZED,
)
def not_optimized(facts: Facts, t: Thresholds) -> Finding | None:
    flagged = [f for f in facts.layers if f.info.trainable and not f.info.optimized and f.grad_steps > 0]
    if not flagged:
        return None
    return _finding(
        not_optimized,
        [f.name for f in flagged],
        {"grad_norm": {f.name: _sig(f.grad_norm) for f in flagged}},
        f"{_names(flagged)} get gradients but the optimizer does not hold them, so they never change",
        "build the optimizer from model.parameters() (or add these to a param group)",
    )


@rule(
    "GS203",
    "frozen",
    "parameters with requires_grad=False (reported so a forgotten freeze is seen)",
    Severity.INFO,
    None,
    LayerStatus.FROZEN,
)
def frozen(facts: Facts, t: Thresholds) -> Finding | None:
    flagged = [f for f in facts.layers if not f.info.trainable]
    if not flagged:
        return None
    return _finding(
        frozen,
        [f.name for f in flagged],
        {"params": sum(f.info.params for f in flagged)},
        f"{len(flagged)} layer(s) are frozen (requires_grad=False): {_names(flagged)}",
        "nothing, if freezing is intended",
    )


# -- GS3xx: learning rate -----------------------------------------------------------


@rule(
    "GS301",
    "lr-too-high",
    "the loss rises or swings while gradients stay finite, and weights change by a large share each step",
    Severity.ERROR,
    Verdict.UNSTABLE,
    None,
)
def lr_too_high(facts: Facts, t: Thresholds) -> Finding | None:
    if len(facts.losses) < 4 or not facts.loss_finite:
        return None
    start, end = facts.loss_start(), facts.loss_end()
    rise = ratio(end - start, abs(start)) if start else 0.0
    diffs = [b - a for a, b in zip(facts.losses, facts.losses[1:], strict=False)]
    ups = sum(1 for d in diffs if d > 0)
    swing = ratio(max(facts.losses) - min(facts.losses), abs(start)) if start else 0.0
    big_moves = facts.median_update_ratio()
    diverging = rise > t.unstable_loss_rise
    oscillating = ups >= len(diffs) / 2 and swing > 1.0 and facts.loss_drop() < 0.5
    # Weights rewritten by a large share of their size every step while the loss goes
    # nowhere: the optimizer is thrashing, whatever the loss curve's exact shape.
    # Measured from the very first loss: a spike in the first steps must not count as progress.
    from_first = ratio(facts.losses[0] - end, abs(facts.losses[0])) if facts.losses[0] else 0.0
    thrashing = big_moves > t.thrash_update_ratio and from_first < t.stalled_loss_drop
    if not (diverging or oscillating or thrashing) or not big_moves > t.unstable_update_ratio / 10:
        return None
    shape = "diverging" if diverging else "swinging" if oscillating else "not falling"
    return _finding(
        lr_too_high,
        [],
        {
            "loss_start": _sig(start),
            "loss_end": _sig(end),
            "loss_rise": _sig(rise),
            "rising_steps": ups,
            "median_update_ratio": _sig(big_moves),
            "lr": list(facts.lr),
        },
        f"the loss went from {start:.3g} to {end:.3g} ({shape}) "
        f"while weights moved {big_moves:.2g} of their size per step",
        "lower the learning rate",
    )


@rule(
    "GS302",
    "lr-too-low",
    "weights barely move for their size and the loss does not fall",
    Severity.ERROR,
    Verdict.STALLED,
    None,
)
def lr_too_low(facts: Facts, t: Thresholds) -> Finding | None:
    if len(facts.losses) < 4 or not facts.loss_finite:
        return None
    # Weights that barely move because the gradient vanishes on its way back are the
    # vanishing rule's finding; a larger learning rate is not the cure for them.
    if vanishing.check(facts, t) is not None:
        return None
    # Even the layers that move most barely move: a vanishing net's early layers don't count.
    moves = facts.top_update_ratio()
    drop = facts.loss_drop()
    if not (moves < t.stalled_update_ratio and drop < t.stalled_loss_drop):
        return None
    return _finding(
        lr_too_low,
        [],
        {"top_update_ratio": _sig(moves), "loss_drop": _sig(drop), "lr": list(facts.lr)},
        f"weights move {moves:.2g} of their size per step and the loss fell {drop:.2%} in {facts.steps} steps",
        "raise the learning rate",
    )


RULES: tuple[Rule, ...] = (
    nonfinite,
    exploding,
    vanishing,
    dead_units,
    unused,
    not_optimized,
    frozen,
    lr_too_high,
    lr_too_low,
)
