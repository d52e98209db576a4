"""The numeric remedies: a clip threshold and a learning rate, each chosen by replaying candidates.

Every candidate is replayed for the probe's steps from the same weights, seed and batches.
The one with the lowest final loss that beats the run as it is becomes the recommendation;
if none does, no number is printed and the advice notes what was tried. Without replays
(watch, run, the callbacks, --no-verify, a spent budget) the number comes from the
measurements alone and says it was not verified.
"""

from __future__ import annotations

import math

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
    Calm,
    calm_after,
    clip_candidates,
    clipped_fraction,
    fmt,
    lr_scales,
    percentile,
    round_sig,
)
from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import Finding, Recommendation
from gradscope.data.summary import lr_schedule
from gradscope.diagnosis.remedies import Clip, LearningRate


def make_number(advisor: Advisor, remedy: Clip | LearningRate, finding: Finding) -> Recommendation | None:
    """The recommendation a numeric remedy of `finding`'s rule makes, or None when nothing helped."""
    if isinstance(remedy, Clip):
        return clip(advisor, finding.code, finding if remedy.after_burst else None)
    calmer = calm_after(finding) if remedy.calm else None
    return learning_rate(advisor, remedy.direction, finding.code, calmer)


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
        best = advisor.best("clip", candidates, conservative_first=False, likely=likely)
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


def _unverified_lr(advisor: Advisor, why: str, scales: list[float]) -> Recommendation:
    facts = advisor.diagnosis.facts
    current = facts.lr[0] if facts.lr else math.nan
    scale = scales[len(scales) // 2]
    scheduled = lr_schedule(advisor.record)
    if scheduled is not None:
        # A scheduler moved the rate while it was measured (warm-up, decay): the first step's
        # rate is not the one to scale; the update ratios scale with the whole schedule.
        low, high = scheduled
        peak = fmt(round_sig(high * scale))
        return Recommendation(
            action="learning_rate",
            numbers={"lr": round_sig(high * scale), "current_lr": high, "scale": scale},
            why=why,
            how=(
                f"scaled x{fmt(scale)} from the measured update ratios (not verified by a replay); a "
                f"schedule moved the rate between {fmt(low)} and {fmt(high)} over the measured steps, "
                f"so scale the whole schedule (the highest rate measured, {fmt(high)}, becomes {peak}; "
                "a warm-up longer than the measured steps peaks higher)"
            ),
            code=f"# every learning rate of the schedule x{fmt(scale)} (highest measured lr -> {peak})",
        )
    return Recommendation(
        action="learning_rate",
        numbers={"lr": round_sig(current * scale), "current_lr": current},
        why=why,
        how=f"scaled x{fmt(scale)} from the measured update ratios (not verified by a replay)",
        code=f"{facts.optimizer}(model.parameters(), lr={fmt(round_sig(current * scale))})",
    )


def learning_rate(advisor: Advisor, direction: str, why: str, calmer: Calm | None = None) -> Recommendation | None:
    """A learning rate `direction` ("down" or "up") from the current one, by a replayed range test."""
    facts = advisor.diagnosis.facts
    current = facts.lr[0] if facts.lr else math.nan
    measured = facts.median_update_ratio()
    scales = lr_scales(direction, measured)
    tried = [fmt(current * s) for s in scales]
    if not advisor.replaying:
        return _unverified_lr(advisor, why, scales)
    try:
        # Going down, prefer the gentlest cut that works; going up, the smallest raise.
        best = advisor.best(
            "lr",
            scales if direction == "up" else list(reversed(scales)),
            conservative_first=True,
            calmer=calmer,
            likely=[s for s in scales if s not in GRID_SCALES[direction]],  # derived from the measured update ratio
        )
    except OutOfTime as exc:
        advisor.spent(exc)
        return _unverified_lr(advisor, why, scales)
    if best is None:
        note = {"knob": "learning rate", "tried": tried, "spike": calmer is not None}
        advisor.notes.append(Note(NoteCode.NOTHING_HELPED, note))
        return None
    chosen, verified = best
    lr = round_sig(current * chosen.value)
    return Recommendation(
        action="learning_rate",
        numbers={"lr": lr, "current_lr": current, "scale": chosen.value},
        why=why,
        how=(
            f"range test from the same start: lr in {tried} (x{', x'.join(fmt(s) for s in scales)}; "
            f"the median dense layer moved {fmt(measured)} of its norm per step, "
            f"~{fmt(TARGET_UPDATE_RATIO)} is typical), lowest final loss after {advisor.replay_steps} steps"
        ),
        code=f"{facts.optimizer}(model.parameters(), lr={fmt(lr)})",
        verified=verified,
    )
