"""GS301 lr-too-high: the loss jumps, climbs or never falls while the weights move by a large
share of their size each step and the gradients stay finite.

The evidence is chosen so a verdict does not depend on the run's length:
- a spike: the loss at some step far above its first value, or well above it and
  far above the lowest loss reached before, even if it recovers later (a run that
  recovers from a spike wasted its steps and risks the next one);
- worse than a uniform guess: a cross-entropy loss over C classes whose mean over a few
  steps climbs well above ln(C) from at most about ln(C) (where a fresh classifier starts,
  a little above or below by the luck of its first batch);
- no progress: the typical loss after the first step (the median) is no lower than
  the first while the weights are rewritten by several percent each step (a median,
  so one lucky batch does not count as progress);
- divergence: the run ends well above where it started;
- a collapsed policy: a policy-gradient script's action distributions (their entropy, which
  `gradscope run` observes) went from spread out to one action near certain right after steps
  that overshot, one of them cutting its entropy by a quarter of the maximum or more. Its loss
  says nothing of it: PPO's falls as the value head fits each rollout. A trust-region method
  holds each update's change of the policy small (PPO's target KL of about 0.01); a single
  step that takes away a quarter of the policy's spread is the step size's doing, and a policy
  made near-deterministic that way stops exploring.
Every piece needs large weight moves (the update ratio gate): a loss that jumps
while the weights barely move is a hard batch, not a learning rate.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass

from gradscope.data.records import Finding, Severity, Verdict
from gradscope.diagnosis.examples import mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import LearningRate, Remedy
from gradscope.diagnosis.rules._common import finding, sig


@dataclass(frozen=True)
class Limits:
    # The gate: on some step up to the loss's worst, the median dense layer moved at least
    # this share of its size (10x a typical healthy 1e-3).
    update_ratio: float = 1e-2
    # A spike: the loss at some step this many times its first value...
    spike_factor: float = 2.0
    # ...or this many times its first value and spike_factor times the lowest loss reached
    # before it (a run that learned, then blew up: its spike is measured from where it got to).
    rise_factor: float = 1.5
    # Worse than a uniform guess: the mean of `sustain` consecutive losses above ln(C) by this
    # share, from a start (the first loss, or a lower such mean before) no higher than that, and
    # `climb` above the start. A mean, because one small batch's loss strays 10% either side of
    # ln(C) by chance; and no "first loss under ln(C)", since where the first batch lands about
    # ln(C) is the seed's luck.
    uniform_margin: float = 0.1
    sustain: int = 3
    climb: float = 0.1
    # ...and by this many times the median step-to-step change of the loss.
    jitters: float = 2.0
    # No progress: weights rewritten by this share per step (median over steps, 50x a healthy
    # 1e-3) while the median loss after the first step is no lower than the first.
    thrash_update_ratio: float = 0.05
    # Divergence: the mean of the last steps this share above the first step's loss.
    loss_rise: float = 0.2
    tail: int = 3
    # A step that moves the median dense layer by this share of its size overshoots (100x a
    # healthy 1e-3). What came after it came of it: a fade or dead units that were not there on
    # the steps up to it (saturated tanh units, ReLUs knocked off) are the learning rate's, so
    # the finding's onset is the earlier of the loss's and the first overshooting step's.
    overshoot_update_ratio: float = 0.1
    # A collapsed policy: its entropy, as a share of its maximum ln K, was at least `spread` on
    # its first step (it explored) and fell to `certain` or below (two actions: the likelier one
    # at 0.987), and on the way one step after an overshooting one cut it by `plunge` of its
    # maximum. A trust region keeps one update's change of the policy small; a healthy policy
    # that learns fast sharpens over tens of steps (a contextual bandit at its best Adam rate:
    # 0.12 at most in one step), one whose rate is far too high loses a quarter to three
    # quarters of its spread in a single step.
    spread: float = 0.5
    certain: float = 0.1
    plunge: float = 0.25


def _gate(facts: Facts, until: int) -> float:
    """The largest per-step median update ratio up to step `until`."""
    moves = [v for v in facts.step_update_ratios[: until + 1] if math.isfinite(v)]
    return max(moves, default=math.nan)


def _above_uniform(facts: Facts, limits: Limits) -> tuple[int, float, float, float] | None:
    """A cross-entropy's sustained climb above the uniform-guess loss: (first step of the window,
    its mean loss, the start it climbed from, ln C), or None."""
    if facts.classes is None or facts.classes < 2:
        return None
    uniform = math.log(facts.classes)
    above = uniform * (1 + limits.uniform_margin)
    losses, k = facts.losses, limits.sustain
    means = [statistics.fmean(losses[i : i + k]) for i in range(len(losses) - k + 1)]
    # The loss's own step-to-step jitter (small batches): a climb must stand out of it.
    jitter = statistics.median(abs(b - a) for a, b in itertools.pairwise(losses)) if len(losses) > 1 else 0.0
    start = losses[0]
    for i in range(1, len(means)):
        start = min(start, means[i - 1])
        rise = means[i] - start
        if start < above and means[i] > above and rise > start * limits.climb and rise > limits.jitters * jitter:
            return i, means[i], start, uniform
    return None


def _evidence(facts: Facts, limits: Limits) -> tuple[str, int, dict[str, object]] | None:
    """The strongest piece of instability evidence: (shape, onset step, evidence), or None."""
    losses = facts.losses
    first = losses[0]
    if not first > 0:
        return None
    peak_at = max(range(1, len(losses)), key=lambda i: losses[i])
    peak = losses[peak_at]
    found: dict[str, object] = {
        "loss_first": sig(first),
        "loss_peak": sig(peak),
        "peak_step": peak_at,
    }
    best_before = min(losses[:peak_at])

    def spiking(i: int) -> bool:
        value, lowest = losses[i], min(losses[:i])
        if value >= limits.spike_factor * first:
            return True
        return value >= limits.rise_factor * first and lowest > 0 and value >= limits.spike_factor * lowest

    if spiking(peak_at):
        onset = next(i for i in range(1, len(losses)) if spiking(i))
        found["spike_factor"] = sig(peak / first)
        found["lowest_before_peak"] = sig(best_before)
        found["spike_threshold"] = limits.spike_factor
        return (
            f"spiking to {peak:.3g} at step {peak_at}, {peak / first:.3g}x its first value "
            f"and {peak / best_before:.3g}x the lowest before it",
            onset,
            found,
        )
    climbed = _above_uniform(facts, limits)
    if climbed is not None:
        onset, mean, start, uniform = climbed
        found["uniform_guess_loss"] = sig(uniform)
        found["climb_mean"] = sig(mean)
        found["climb_start"] = sig(start)
        return (
            f"climbing to a mean {mean:.3g} over steps {onset}-{onset + limits.sustain - 1} from {start:.3g}, "
            f"worse than a uniform guess over {facts.classes} classes (ln {facts.classes} = {uniform:.3g})",
            onset,
            found,
        )
    end = statistics.fmean(losses[-limits.tail :])
    found["loss_end"] = sig(end)
    moves = statistics.median(v for v in facts.step_update_ratios if math.isfinite(v)) if facts.steps else math.nan
    typical = statistics.median(losses[1:])
    if typical >= first and moves > limits.thrash_update_ratio:
        found["median_update_ratio"] = sig(moves)
        found["median_loss"] = sig(typical)
        return f"not falling: its median {typical:.3g} is no lower than its first value {first:.3g}", 1, found
    if end > first * (1 + limits.loss_rise):
        onset = next(i for i, v in enumerate(losses) if v > first * (1 + limits.loss_rise))
        return f"rising from {first:.3g} to {end:.3g}", onset, found
    return None


def _first_overshoot(facts: Facts, limits: Limits) -> int | None:
    return next((i for i, v in enumerate(facts.step_update_ratios) if v >= limits.overshoot_update_ratio), None)


def _plunge(
    facts: Facts, limits: Limits, measured: list[tuple[int, float]], overshoot: int
) -> tuple[int, float] | None:
    """The first fall of `plunge` or more a step, seen at a step after the first overshooting one:
    (the step it was seen at, the fall a step), or None. The entropy of step i is of the policy
    the steps before it made, so a fall seen at step i was made by step i - 1, which must come
    after (or be) the overshoot. Recorded steps k apart (--every k, or an entropy measured on
    some steps only) are judged by their fall over k, a step's share of it."""
    numbers = facts.step_numbers or tuple(range(facts.steps))
    for (i, before), (j, after) in itertools.pairwise(measured):
        gap = max(1, numbers[j] - numbers[i])
        if j > overshoot and (before - after) / gap >= limits.plunge:
            return j, (before - after) / gap
    return None


def _collapse(facts: Facts, limits: Limits) -> tuple[str, int, dict[str, object]] | None:
    """A policy made near-certain by steps too large for it: (shape, onset step, evidence), or None.
    Its evidence's peak_step is the step the collapse is first seen (the gate is judged up to it)."""
    measured = [(i, v) for i, v in enumerate(facts.policy_entropy) if math.isfinite(v)]
    if not measured or measured[0][1] < limits.spread:
        return None
    collapsed = next(((i, v) for i, v in measured if v <= limits.certain), None)
    if collapsed is None:
        return None
    at, share = collapsed
    overshoot = _first_overshoot(facts, limits)
    if overshoot is None:
        return None
    plunge = _plunge(facts, limits, measured[: measured.index(collapsed) + 1], overshoot)
    if plunge is None:
        return None
    first = measured[0][1]
    found: dict[str, object] = {
        "policy_entropy_first": sig(first),
        "policy_entropy_collapsed": sig(share),
        "collapse_step": at,
        "plunge_step": plunge[0],
        "plunge": sig(plunge[1]),
        "peak_step": at,
    }
    return (
        f"the policy is unstable: it collapsed, its action entropy falling from {first:.0%} of its maximum "
        f"to {share:.1%} by step {at} (one action near certain), {plunge[1]:.0%} of it in a step "
        f"just before step {plunge[0]}",
        overshoot + 1,
        found,
    )


@rule(
    "GS301",
    "lr-too-high",
    "the loss spikes, climbs above a uniform guess or never falls, or a policy collapses in a plunge, "
    "while gradients stay finite and weights change by a large share each step",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.UNSTABLE,
    remedy=Remedy(
        (LearningRate("down", calm=True),),
        unconfirmed="no lower learning rate tried lowered the loss (or removed its spike) within the run, so "
        "the model is likely limited by something else than its learning rate",
    ),
    needs_loss=True,
    judges_policy=True,
    min_steps=4,
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
        Example(
            "a spike to 1000x the first loss that recovers to where it started",
            lambda: record(
                mlp(),
                grad=[2.0] * 4,
                update_ratio=[0.2] * 4,
                losses=[1.4, 1340.0, 80.0, 9.0, 3.0, 1.9, 1.6, 1.5, 1.45, 1.41],
            ),
        ),
        Example(
            "cross-entropy over 65 classes climbing from 4.1 to 10.6, above ln 65 = 4.17, then recovering",
            lambda: record(
                mlp(),
                grad=[1.0] * 4,
                update_ratio=[0.05] * 4,
                losses=[4.1, 5.0, 7.0, 7.9, 6.0, 5.0, 4.0, 3.5, 3.3, 3.2],
                classes=65,
            ),
        ),
        Example(
            "cross-entropy over 10 classes starting a hair above ln 10 = 2.30, learning to 1.0, then staying above 2.5",
            lambda: record(
                mlp(),
                grad=[1.0] * 4,
                update_ratio=[0.1] * 4,
                losses=[2.31, 1.8, 1.3, 1.04, 1.5, 2.2, 2.67, 2.4, 2.6, 2.56],
                classes=10,
            ),
        ),
        Example(
            "a loss swinging above its first value for the whole run while weights move 20% per step",
            lambda: record(
                mlp(),
                grad=[1.0] * 4,
                update_ratio=[0.2] * 4,
                losses=[1.09, 1.5, 1.2, 1.4, 1.1, 1.45, 1.3, 1.2, 1.5, 1.1],
            ),
        ),
        Example(
            "a policy near-certain of one action by step 3 after steps that moved the weights 30%, its loss falling",
            lambda: record(
                mlp(act="Tanh"),
                grad=[0.5] * 4,
                update_ratio=[0.3] * 4,
                losses=[40.0, 30.0, 15.0, 12.0, 9.0, 10.0, 8.0, 9.0, 8.0, 7.0],
                optimizer="Adam",
                policy_entropy=[1.0, 0.7, 0.5, 0.06, 0.08, 0.2, 0.05, 0.04, 0.02, 0.01],
            ),
        ),
    ),
    quiet=(
        Example(
            "a policy sharpening to near-certain over nine steps of 30% moves, at most 12% of its entropy a step",
            lambda: record(
                mlp(act="Tanh"),
                grad=[0.5] * 4,
                update_ratio=[0.3] * 4,
                optimizer="Adam",
                policy_entropy=[1.0, 0.9, 0.79, 0.68, 0.57, 0.46, 0.35, 0.24, 0.13, 0.08],
            ),
        ),
        Example(
            "a policy already near-certain on its first step, moving 30% per step",
            lambda: record(
                mlp(act="Tanh"),
                grad=[0.5] * 4,
                update_ratio=[0.3] * 4,
                optimizer="Adam",
                policy_entropy=[0.2, 0.1, 0.05, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.01],
            ),
        ),
        Example(
            "cross-entropy over 10 classes falling from ln 10 with two small batches 10% above it",
            lambda: record(
                mlp(),
                grad=[1.0] * 4,
                update_ratio=[0.02] * 4,
                losses=[2.30, 2.28, 2.25, 2.60, 2.22, 2.20, 2.18, 2.55, 2.15, 2.12],
                classes=10,
            ),
        ),
        Example(
            "large steps while the loss falls steadily: a brisk, healthy start",
            lambda: record(mlp(), grad=[2.0] * 4, update_ratio=[0.05] * 4, losses=[2.0 * 0.8**i for i in range(10)]),
        ),
        Example(
            "a loss that doubles on one hard batch while the weights move 1e-3 per step",
            lambda: record(
                mlp(),
                grad=[0.5] * 4,
                update_ratio=[1e-3] * 4,
                losses=[1.0, 0.9, 2.1, 0.8, 0.8, 0.7, 0.7, 0.6, 0.6, 0.5],
            ),
        ),
    ),
)
def lr_too_high(facts: Facts, limits: Limits) -> Finding | None:
    # A policy is judged by its entropy, with or without a loss (an actor and a critic stepped
    # apart leave no one loss); any other run by its loss, which must then be finite.
    judged = facts.has_loss and facts.loss_finite and not facts.policy
    found = _evidence(facts, limits) if judged else None
    if found is not None:
        found = (f"the loss is unstable: {found[0]}", *found[1:])
    found = found or _collapse(facts, limits)
    if found is None:
        return None
    shape, onset, evidence = found
    peak_at = evidence["peak_step"]
    gate = _gate(facts, peak_at if isinstance(peak_at, int) else facts.steps)
    if not gate >= limits.update_ratio:
        return None
    overshoot = _first_overshoot(facts, limits)
    if overshoot is not None:
        # The overshooting step's gradients came before its update: it is judged with the steps before.
        evidence = {**evidence, "overshoot_step": overshoot, "overshoot_onset": overshoot + 1}
        onset = min(onset, overshoot + 1)
    evidence = {**evidence, "max_update_ratio_to_peak": sig(gate), "onset_step": onset, "lr": list(facts.lr)}
    return finding(
        lr_too_high,
        [],
        evidence,
        f"{shape}, while weights moved up to {gate:.2g} of their size per step",
        "lower the learning rate",
    )
