"""The numeric remedies: a clip threshold and a learning rate, each chosen by replaying candidates.

Every candidate is replayed for the probe's steps from the same weights, seed and batches.
The one with the lowest final loss that beats the run as it is becomes the recommendation;
if none does, no number is printed and the advice notes what was tried. Without replays
(watch, run, the callbacks, --no-verify, a spent budget) the number comes from the
measurements alone and says it was not verified.
"""

from __future__ import annotations

import math
from dataclasses import replace

from gradscope.advice.advisor import Advisor
from gradscope.advice.budget import OutOfTime
from gradscope.advice.candidates import (
    BURST_CLIP_FACTORS,
    CLIP_PERCENTILE,
    DEFAULT_MAX_NORM,
    GRID_SCALES,
    PERCENTILE_TH,
    SGD_STEP_SHARE,
    TARGET_UPDATE_RATIO,
    calm_after,
    clip_candidates,
    clipped_fraction,
    fmt,
    lr_scales,
    percentile,
    round_sig,
)
from gradscope.advice.knobs import Knob
from gradscope.advice.replay import IMPROVEMENT, Bar
from gradscope.data.notes import Note, NoteCode
from gradscope.data.rates import RELATIVE_CAP
from gradscope.data.records import Finding, Recommendation
from gradscope.diagnosis.remedies import Clip, LearningRate


def make_number(advisor: Advisor, remedy: Clip | LearningRate, finding: Finding) -> Recommendation | None:
    """The recommendation a numeric remedy of `finding`'s rule makes, or None when nothing helped."""
    if isinstance(remedy, Clip):
        return clip(advisor, finding.code, finding if remedy.after_burst else None)
    return learning_rate(advisor, remedy.direction, finding.code, rate_bar(remedy, finding))


# What a replayed rate must show: the usual gain, and a loss of its own that fell (a rate that
# only holds the loss where it started cures nothing: replay.Bar.must_fall).
LR_BAR = Bar(must_fall=True)


def rate_bar(remedy: LearningRate, finding: Finding) -> Bar:
    """The bar a replayed rate must clear for this remedy of `finding`: the remedy's own gain
    where it asks for one, and the spike gone counting as a cure where it says so."""
    gain = LR_BAR.gain if remedy.gain is None else remedy.gain
    return replace(LR_BAR, gain=gain, calm=calm_after(finding) if remedy.calm else None)


def _clip_code(value: float) -> str:
    return f"torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={fmt(value)})"


def _unverified_clip(advisor: Advisor, why: str) -> Recommendation:
    norms = [s.total_grad_norm for s in advisor.record.steps if math.isfinite(s.total_grad_norm)]
    value = round_sig(percentile(norms, CLIP_PERCENTILE)) if norms else DEFAULT_MAX_NORM
    return Recommendation(
        action="clip_grad_norm",
        numbers={"max_norm": value, "clipped_fraction": clipped_fraction(advisor.record, value)},
        why=why,
        how=f"{PERCENTILE_TH} percentile of the measured total gradient norm (not verified by a replay)",
        code=_clip_code(value),
    )


def clip(advisor: Advisor, why: str, burst_of: Finding | None = None) -> Recommendation | None:
    """A max_norm for clip_grad_norm_; after a burst (`burst_of`), also near the norm before it."""
    facts = advisor.diagnosis.facts
    lr = facts.lr[0] if facts.lr else 0.0
    weight = math.sqrt(sum(f.weight_norm**2 for f in facts.layers if f.measurable and math.isfinite(f.weight_norm)))
    candidates = clip_candidates(advisor.record, weight, lr, facts.adaptive)
    first = burst_of.evidence.get("first_norm") if burst_of is not None else None
    burst = ""
    likely: list[float] = []
    if isinstance(first, int | float) and first > 0:
        # A burst calls for a threshold near the norm the run had before it: what a healthy
        # step needs passes, the burst is cut back to it. The likely cure: replayed first.
        likely = [round_sig(k * first) for k in BURST_CLIP_FACTORS]
        candidates = sorted({*candidates, *likely})
        burst = f", {' and '.join(f'{k:g}x' for k in BURST_CLIP_FACTORS)} the norm before the burst"
    how = (
        f"tried max_norm in {[fmt(c) for c in candidates]} (median and {PERCENTILE_TH} percentile of the "
        f"measured total gradient norm, the norm at which one SGD step moves the weights {SGD_STEP_SHARE:.0%} "
        f"of their size, {DEFAULT_MAX_NORM}"
        f"{burst}), each replayed for {advisor.replay_steps} steps from the same start"
    )
    if not advisor.replaying:
        return _unverified_clip(advisor, why)
    try:
        best = advisor.best("clip", candidates, conservative_first=False, bar=Bar(), likely=likely)
    except OutOfTime as exc:
        advisor.spent(exc)
        return _unverified_clip(advisor, why)
    if best is None:
        tried = [fmt(c) for c in candidates]
        advisor.notes.append(Note(NoteCode.NOTHING_HELPED, {"knob": "clip threshold", "tried": tried}))
        return None
    chosen, verified = best
    value = chosen.value
    return Recommendation(
        action="clip_grad_norm",
        numbers={"max_norm": value, "clipped_fraction": round(clipped_fraction(advisor.record, value), 3)},
        why=why,
        how=how,
        code=_clip_code(value),
        verified=verified,
    )


def _unverified_lr(why: str, knob: Knob, scales: list[float]) -> Recommendation:
    scale = scales[len(scales) // 2]
    if knob.scheduled is not None:
        # A scheduler moved the rate while it was measured (warm-up, decay): the first step's
        # rate is not the one to scale; the update ratios scale with the whole schedule.
        low, high = knob.scheduled
        peak = fmt(round_sig(high * scale))
        return Recommendation(
            action="learning_rate",
            numbers={"lr": round_sig(high * scale), "current_lr": high, "scale": scale},
            why=why,
            how=(
                f"scaled x{fmt(scale)} from the measured update ratios (not verified by a replay); a "
                f"schedule moved the rate between {fmt(low)} and {fmt(high)} over the measured steps, "
                f"so scale the whole schedule (the highest rate measured, {fmt(high)}, becomes {peak}; "
                f"a warm-up longer than the measured steps peaks higher){knob.how()}"
            ),
            code=f"# every learning rate of the schedule x{fmt(scale)} (highest measured lr -> {peak})",
        )
    lr = round_sig(knob.base * scale)
    return Recommendation(
        action="learning_rate",
        numbers={"lr": lr, "current_lr": knob.base},
        why=why,
        how=f"scaled x{fmt(scale)} from the measured update ratios (not verified by a replay){knob.how()}",
        code=knob.code(lr),
    )


def _elsewhere(advisor: Advisor, knob: Knob, direction: str, wanted: list[float], tried: list[float]) -> None:
    """No usable rate cures it and the update ratios call for an unusable one: the note says so."""
    rate = knob.scaled(advisor.replaying)
    # Of the rates the update ratios call for, the one nearest the current rate: the claim at its mildest.
    nearest = (max if direction == "down" else min)(wanted) if wanted else None
    fields = {
        "optimizer": knob.optimizer,
        "family": knob.usable.family,
        "low": knob.usable.low,
        "high": knob.usable.high,
        "wanted": None if nearest is None else fmt(round_sig(rate * nearest, 1)),
        "tried": [fmt(rate * s) for s in tried],
        "replayed": advisor.replaying,
    }
    advisor.notes.append(Note(NoteCode.LR_ELSEWHERE, fields))


def _usable_scales(advisor: Advisor, knob: Knob, direction: str, why: str) -> tuple[list[float], list[float]] | None:
    """The factors to try, those whose rate lies in the usable range, and the ones the measured update
    ratios call for that lie outside it; None (and a note) when there is nothing to try."""
    missing = knob.missing(advisor.replaying)
    if missing is not None:
        advisor.notes.append(Note(NoteCode.LR_NO_NUMBER, {"optimizer": knob.optimizer, "why": missing}))
        advisor.untried.add(why)
        return None
    scales = lr_scales(direction, advisor.diagnosis.facts.median_update_ratio())
    rate = knob.scaled(advisor.replaying)
    if knob.kind.warmup and direction == "up" and rate > 0:
        # Adafactor's own rate without its warm-up (warmup_init=False): the likeliest cure, tried too.
        scales = sorted({*scales, RELATIVE_CAP / rate})
    kept = [s for s in scales if knob.usable.holds(rate * s)]
    # The factors derived from the update ratios (not the fixed grid) that give a rate out of range.
    derived = [s for s in scales if s not in GRID_SCALES[direction]]
    unusable = [s for s in derived if s not in kept]
    # Without replays, measurements that ask only for rates no one uses are the whole evidence.
    if not kept or (derived and unusable == derived and not advisor.replaying):
        _elsewhere(advisor, knob, direction, unusable, [])
        return None
    return kept, unusable


def learning_rate(advisor: Advisor, direction: str, why: str, bar: Bar = LR_BAR) -> Recommendation | None:
    """A learning rate `direction` ("down" or "up") from the current one, by a replayed range test
    judged by `bar`, only ever within the range the optimizer is used at (candidates.Usable)."""
    facts = advisor.diagnosis.facts
    knob = Knob.of(advisor.record, facts.lr[0] if facts.lr else math.nan)
    usable = _usable_scales(advisor, knob, direction, why)
    if usable is None:
        return None
    scales, unusable = usable
    if not advisor.replaying:
        return _unverified_lr(why, knob, scales)
    try:
        # Going down, prefer the gentlest cut that works; going up, the smallest raise.
        best = advisor.best(
            "lr",
            scales if direction == "up" else list(reversed(scales)),
            conservative_first=True,
            bar=bar,
            likely=[s for s in scales if s not in GRID_SCALES[direction]],  # derived from the measured update ratio
            lr_base=knob.lr_base,
        )
    except OutOfTime as exc:
        advisor.spent(exc)
        # Unverified, the rate is scaled from the schedule's highest: its usable factors differ.
        return learning_rate(advisor, direction, why, bar)
    tried = [fmt(knob.base * s) for s in scales]
    if best is None:
        if unusable:
            _elsewhere(advisor, knob, direction, unusable, scales)
        else:
            note = {"knob": "learning rate", "tried": tried, "spike": bar.calm is not None}
            if bar.gain != IMPROVEMENT:
                note["gain"] = bar.gain
            advisor.notes.append(Note(NoteCode.NOTHING_HELPED, note))
        return None
    chosen, verified = best
    lr = round_sig(knob.base * chosen.value)
    return Recommendation(
        action="learning_rate",
        numbers={"lr": lr, "current_lr": knob.base, "scale": chosen.value},
        why=why,
        how=(
            f"range test from the same start: lr in {tried} (x{', x'.join(fmt(s) for s in scales)}; "
            f"the median dense layer moved {fmt(facts.median_update_ratio())} of its norm per step, "
            f"~{fmt(TARGET_UPDATE_RATIO)} is typical), lowest final loss after {advisor.replay_steps} steps"
            f"{knob.how()}"
        ),
        code=knob.code(lr),
        verified=verified,
    )
