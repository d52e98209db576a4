"""GS102 exploding-gradient: gradients far larger than the weights they update, growing with
depth, or bursting by orders of magnitude above the run's first steps.

Per-layer medians miss a burst that is over in a few steps (and a saturated net's
gradients are tiny afterwards), so the total gradient norm of every step is read
too: a burst 100x above the first step's norm, with the loss jumping, is
explosion evidence on its own, whatever the run's length, for optimizers whose
step follows the gradient's size (SGD, not Adam). Its onset step lets
the diagnosis tell a saturation that follows it from a vanishing gradient that
was there before. A burst that comes after steps which already moved the
weights by a tenth of their size is the learning rate's doing (GS301): the
gradient was still normal when the steps overshot, and clipping at a sane
threshold would not have stopped them.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from gradscope.data.records import Finding, LayerStatus, Severity, Verdict, ratio
from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import Clip, KaimingInit, Remedy
from gradscope.diagnosis.rules._common import finding, names, sig


@dataclass(frozen=True)
class Limits:
    # A plain SGD step of lr * ||g|| would exceed the weights this many times over.
    rel_grad: float = 1e2
    # The gradient grows this much from the output layer back to an earlier layer...
    depth_ratio: float = 1e2
    # ...while the total gradient norm is this large: growth through depth of small gradients
    # is a poorly scaled net, not an explosion.
    total_grad_norm: float = 1e4
    # A burst: the total gradient norm this many times its first step's. Healthy training moves
    # it by a few times as the loss surface changes; two orders of magnitude is not that.
    burst_factor: float = 1e2
    # ...with the loss at least this many times its first value on some step (a burst the loss
    # shrugs off is a sharp but harmless region). Without a loss, the burst must be this much larger.
    burst_loss_factor: float = 2.0
    burst_factor_without_loss: float = 1e4
    # The burst's onset: the first step whose norm passes this many times the first step's.
    onset_factor: float = 10.0
    # Steps before the onset that already moved the weights by this share of their size (the
    # median dense layer, median over those steps) were too large while the gradient was still
    # normal: the burst followed the learning rate's overshoot (GS301), it did not cause it, and
    # a lower learning rate is the cure where clipping at a sane threshold is not.
    overshoot_update_ratio: float = 0.1


def _burst(facts: Facts, limits: Limits) -> dict[str, object] | None:
    """Evidence of a burst of the total gradient norm, or None."""
    norms = facts.total_grad_norms
    if facts.adaptive or len(norms) < 2 or not math.isfinite(norms[0]) or norms[0] <= 0:
        # Adam and its kin divide the gradient by its running scale: a burst does not make their
        # step burst, so it is the mark of steps already too large (GS301's learning rate), not a
        # cause that clipping would cure.
        return None
    finite = [(v, i) for i, v in enumerate(norms) if math.isfinite(v)]
    peak, at = max(finite)
    factor = peak / norms[0]
    # A policy's objective has no level a burst could be confirmed by (Facts.policy).
    losses = [] if facts.policy else [v for v in facts.losses if math.isfinite(v)]
    if losses and losses[0] > 0:
        loss_factor = max(losses) / losses[0]
        if factor < limits.burst_factor or loss_factor < limits.burst_loss_factor:
            return None
    elif factor < limits.burst_factor_without_loss:
        return None
    onset = next(i for i, v in enumerate(norms) if math.isfinite(v) and v >= limits.onset_factor * norms[0])
    before = [v for v in facts.step_update_ratios[:onset] if math.isfinite(v)]
    if before and statistics.median(before) >= limits.overshoot_update_ratio:
        return None
    return {"burst_step": at, "burst_norm": sig(peak), "first_norm": sig(norms[0]), "burst_factor": sig(factor),
            "onset_step": onset}  # fmt: skip


@rule(
    "GS102",
    "exploding-gradient",
    "gradients far larger than the weights they update, growing 100x towards the input, "
    "or the total gradient norm bursting 100x above its first steps",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.EXPLODING,
    status=LayerStatus.EXPLODING,
    # Gradients that grew only after steps that overshot are the learning rate's: judged on the
    # steps up to GS301's first overshooting one, a net that was sound is not exploding. (Its
    # loss spike is no onset here: a burst makes the loss spike, so they come together.)
    consequence_of=("GS301",),
    consequence_onset="overshoot_onset",
    remedy=Remedy(
        (
            Clip(after_burst=True),
            KaimingInit("gradients this large mean the weights amplify the signal layer after layer; "),
        )
    ),
    fires=(
        Example(
            "gradients 1e4-1e6 on weights of norm 10",
            lambda: record(mlp(), grad=[1e6, 5e5, 1e5, 1e4], update_ratio=[0.5, 0.5, 0.5, 0.5]),
        ),
        Example(
            "a four-step burst of the total norm to 1000x its start while the loss jumps 60-fold, then calm",
            lambda: record(
                mlp(),
                grad=[0.05, 0.05, 0.05, 0.05],
                update_ratio=[0.01] * 4,
                grad_scale=[1, 10, 300, 1000, 200, 0.01, 0.01, 0.01, 0.01, 0.01],
                losses=[9.5, 12.0, 80.0, 600.0, 300.0, 20.0, 12.0, 10.0, 9.8, 9.7],
            ),
        ),
    ),
    quiet=(
        Example("a healthy run", healthy),
        Example(
            "the same burst after steps that already moved every layer by half its size: the learning rate's doing",
            lambda: record(
                mlp(),
                grad=[0.05, 0.05, 0.05, 0.05],
                update_ratio=[0.5] * 4,
                grad_scale=[1, 10, 300, 1000, 200, 0.01, 0.01, 0.01, 0.01, 0.01],
                losses=[9.5, 12.0, 80.0, 600.0, 300.0, 20.0, 12.0, 10.0, 9.8, 9.7],
            ),
        ),
        Example(
            "the total norm growing 20x from a small start while the loss falls",
            lambda: record(
                mlp(), grad=[0.01] * 4, update_ratio=[1e-3] * 4, grad_scale=[1, 3, 8, 12, 15, 20, 20, 18, 16, 15]
            ),
        ),
    ),
)
def exploding(facts: Facts, limits: Limits) -> Finding | None:
    dense = [f for f in facts.dense() if math.isfinite(f.rel_grad)]
    burst = _burst(facts, limits)
    if not dense and burst is None:
        return None
    # A zero-initialised layer (LoRA B, zero-init output heads) has a tiny norm by design, so
    # its gradient/weight ratio is huge while nothing is wrong: judge it by depth growth only.
    flagged = [f for f in dense if f.rel_grad > limits.rel_grad and not f.zero_init]
    growth = [f for f in dense[:-1] if ratio(f.rel_grad, dense[-1].rel_grad) > limits.depth_ratio]
    total = max((v for v in facts.total_grad_norms if math.isfinite(v)), default=0.0)
    if not flagged and not (growth and total > limits.total_grad_norm) and burst is None:
        return None
    # The layers whose own gradient burst with the total: the ones to clip or re-initialise.
    bursting = [
        f for f in dense if burst is not None and f.grad_first > 0 and f.grad_peak >= limits.burst_factor * f.grad_first
    ]
    chosen = sorted({f.index for f in flagged + growth + bursting})
    layers = [facts.layers[i] for i in chosen]
    evidence: dict[str, object] = {
        "rel_grad": {f.name: sig(f.rel_grad) for f in layers},
        "max_total_grad_norm": sig(total),
        "threshold_rel_grad": limits.rel_grad,
    }
    parts = []
    large = [facts.layers[i] for i in sorted({f.index for f in flagged + growth})]
    if large:
        parts.append(f"gradients up to {max(f.rel_grad for f in large):.3g}x the weights' norm in {names(large)}")
    if burst is not None:
        evidence.update(burst)
        parts.append(
            f"the total gradient norm burst from {burst['first_norm']:.3g} to {burst['burst_norm']:.3g} "
            f"({burst['burst_factor']:.3g}x) at step {burst['burst_step']}"
            + (f", {names(bursting)} bursting {limits.burst_factor:.0f}x or more" if bursting else "")
        )
    else:
        parts.append(f"total gradient norm up to {total:.3g}")
    return finding(
        exploding,
        [f.name for f in layers],
        evidence,
        "; ".join(parts),
        "clip the gradient norm (clip_grad_norm_), lower the learning rate, and fix the initialisation "
        "(kaiming/xavier) or add normalisation",
    )
