"""Findings -> recommendations with numbers, each number checked by re-running.

How the numbers are found:
- clip_grad_norm: candidates from the measured total-gradient-norm history
  (its median and 10th percentile) and from the update size a healthy step
  would have (max_norm such that lr * max_norm is about 1e-2 of the weights'
  norm, for SGD-style optimizers), plus the common default 1.0.
- learning_rate: candidates from the measured update ratios (the LR at which
  the median dense layer would move about 1e-3 of its norm per step) and a
  short range test of factors around the current LR, all from the same
  initial state.
Every candidate is replayed for the probe's steps from the same weights, seed
and batches. The one with the lowest final loss that beats the run as it is
becomes the recommendation; if none does, no number is printed, and a stalled
or unstable finding that no LR change could improve is withdrawn as unconfirmed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from gradscope.advice.budget import OutOfTime
from gradscope.data.records import (
    Finding,
    LayerStatus,
    Recommendation,
    RunRecord,
    Verdict,
    Verified,
)
from gradscope.data.summary import lr_schedule
from gradscope.diagnosis import Diagnosis, settle
from gradscope.diagnosis.facts import LayerFacts

if TYPE_CHECKING:
    from gradscope.advice.budget import Clock
    from gradscope.advice.replay import Change, Replayer, Trial
    from gradscope.doors.session import Session

# Healthy steps move a layer about 1e-3 of its norm (Karpathy's update:data ratio); 1e-2 is
# the brisk end of that range.
TARGET_UPDATE_RATIO = 1e-3
BRISK_UPDATE_RATIO = 1e-2
# Below this median ||g||/||W|| a flat loss with still weights may be convergence, not a starved LR.
CONVERGED_REL_GRAD = 1e-3
# Clip thresholds tried besides the measured ones: the common default, a low percentile of the
# measured total norm (clips the usual step a little, a burst a lot), and the norm at which one
# SGD step moves the weights this share of their size.
DEFAULT_MAX_NORM = 1.0
CLIP_PERCENTILE = 0.1
SGD_STEP_SHARE = 1e-2
_PERCENTILE_TH = f"{CLIP_PERCENTILE * 100:g}th"  # as the how-text names it: "10th"
# After a burst, thresholds this many times the norm before it: what a healthy step needs passes.
BURST_CLIP_FACTORS = (2.0, 10.0)
# Learning-rate factors a range test tries, before the ones derived from the update ratios.
LR_CUTS = (0.3, 0.1, 0.01)
LR_RAISES = (10.0, 100.0, 1000.0, 10000.0)
# The most distinct replays one diagnosis can ask for (the Replayer runs each change once):
# clip thresholds (the default, the median, the percentile, the SGD-step norm, the burst
# factors), both directions of the LR range test with their two ratio-derived factors each,
# and the three architecture checks (ReLU, kaiming init, LeakyReLU). The time plan promises
# no more than these take.
MOST_REPLAYS = (4 + len(BURST_CLIP_FACTORS)) + (len(LR_CUTS) + 2) + (len(LR_RAISES) + 2) + 3
# A loss that grew this many times its first value before turning NaN/Inf ran away.
RUNAWAY_FACTOR = 2.0
# Dense layers in sequence from which skip connections are worth suggesting for a vanishing gradient.
RESIDUAL_MIN_DEPTH = 6
SATURATING = frozenset({"Sigmoid", "Tanh", "Hardsigmoid", "Softsign", "LogSigmoid", "Hardtanh"})
RELU_FAMILY = frozenset({"ReLU", "ReLU6"})
INIT_KINDS = frozenset({"Linear", "Conv1d", "Conv2d", "Conv3d", "Bilinear"})


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _round_sig(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def clip_candidates(record: RunRecord, facts_weight_norm: float, lr: float, adaptive: bool) -> list[float]:
    norms = [s.total_grad_norm for s in record.steps if math.isfinite(s.total_grad_norm)]
    found: set[float] = {DEFAULT_MAX_NORM}
    if norms:
        found.add(_round_sig(statistics.median(norms)))
        found.add(_round_sig(_percentile(norms, CLIP_PERCENTILE)))
    if not adaptive and lr > 0 and facts_weight_norm > 0:
        found.add(_round_sig(SGD_STEP_SHARE * facts_weight_norm / lr))
    return sorted(v for v in found if v > 0 and math.isfinite(v))


def clipped_fraction(record: RunRecord, max_norm: float) -> float:
    norms = [s.total_grad_norm for s in record.steps]
    if not norms:
        return 0.0
    return sum(1 for v in norms if not v <= max_norm) / len(norms)


# The range test's fixed multipliers; the one derived from the measured update ratio joins them.
GRID_SCALES = {"down": LR_CUTS, "up": LR_RAISES}


def lr_scales(direction: str, measured_ratio: float) -> list[float]:
    """Multipliers of the current LR to try, the ratio-derived one included."""
    scales = set(GRID_SCALES[direction])
    if measured_ratio > 0 and math.isfinite(measured_ratio):
        for target in (TARGET_UPDATE_RATIO, BRISK_UPDATE_RATIO):
            derived = target / measured_ratio
            if (direction == "down" and derived < 1) or (direction == "up" and derived > 1):
                scales.add(_round_sig(derived, 1))
    return sorted(scales)


def _ranked(recs: list[Recommendation]) -> list[Recommendation]:
    """Each change once, the ones a replay showed to help most first, then the unverified."""
    seen: set[str] = set()
    unique = []
    for rec in recs:
        key = rec.action + repr(sorted((k, str(v)) for k, v in rec.numbers.items()))
        if key not in seen:
            seen.add(key)
            unique.append(rec)

    def order(rec: Recommendation) -> tuple[int, float]:
        v = rec.verified
        if v is None:
            return (1, 0.0)
        if not v.improved:
            return (2, 0.0)
        if not math.isfinite(v.loss_before) or not v.loss_before:
            # Every replay of one report starts from the same measured run: with no finite loss
            # to gain on (it went NaN), the lower loss reached is the better fix.
            return (0, v.loss_after if math.isfinite(v.loss_after) else math.inf)
        return (0, -(v.loss_before - v.loss_after) / abs(v.loss_before))

    return sorted(unique, key=order)


def _brief(rec: Recommendation) -> str:
    numbers = rec.numbers
    if "replace" in numbers:
        return f"{numbers['replace']} -> {numbers['with']}"
    return str(numbers.get("scheme", ""))


def ran_away(losses: tuple[float, ...]) -> bool:
    """The loss grew (at least doubled) before it turned NaN/Inf."""
    finite: list[float] = []
    for v in losses:
        if not math.isfinite(v):
            break
        finite.append(v)
    if len(finite) < 2 or len(finite) == len(losses):
        return False
    return max(finite[1:]) > RUNAWAY_FACTOR * abs(finite[0])


Calm = Callable[[Sequence[float]], bool]


def calm_after(finding: Finding) -> Calm | None:
    """For a spike finding: whether a replay's curve stays below the spike threshold (and below a
    uniform guess when that was crossed). A lower LR that removes the spike and ends no higher
    confirms the finding even when the measured run recovered to the same final loss."""
    threshold = finding.evidence.get("spike_threshold")
    uniform = finding.evidence.get("uniform_guess_loss")
    if not isinstance(threshold, int | float):
        return None

    def calm(curve: Sequence[float]) -> bool:
        if not curve or not all(math.isfinite(v) for v in curve) or not curve[0] > 0:
            return False
        peak = max(curve[1:], default=curve[0])
        return peak < threshold * curve[0] and (not isinstance(uniform, int | float) or peak <= uniform)

    return calm


def _fmt(x: float) -> str:
    return f"{x:.3g}"


class Recommender:
    """Builds recommendations for one diagnosis, replaying candidates on the session."""

    def __init__(
        self,
        record: RunRecord,
        diagnosis: Diagnosis,
        session: Session | None,
        progress: Callable[[str, int, int], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.progress = progress
        self.record = record
        self.diagnosis = diagnosis
        self.session = session
        self.baseline = tuple(diagnosis.facts.losses)
        self.notes: list[str] = []
        self.withdrawn: dict[str, str] = {}  # code -> why a replay set the finding aside
        self.replayer: Replayer | None = None
        self.out_of_time: str | None = None  # why the budget ended verification, once it did
        if session is not None:
            from gradscope.advice.replay import Replayer

            plan = clock.plan if clock is not None else None
            steps = plan.replay_steps if plan is not None else len(record.steps)
            self.replayer = Replayer(session, steps, self.baseline, progress, clock)

    @property
    def replaying(self) -> bool:
        """Whether numbers are still checked by replays (a session, and budget left for them)."""
        return self.replayer is not None and self.out_of_time is None

    @property
    def replay_steps(self) -> int:
        return self.replayer.steps if self.replayer is not None else len(self.record.steps)

    def spent(self, exc: OutOfTime) -> None:
        """The budget ran out: the rest of the numbers are given unverified, and the report says so."""
        if self.out_of_time is None:
            self.out_of_time = str(exc)

    # -- replays -------------------------------------------------------------------
    def best(
        self,
        kind: str,
        values: list[float],
        conservative_first: bool,
        calmer: Calm | None = None,
        likely: Sequence[float] = (),
    ) -> tuple[Trial, Verified] | None:
        """The clip threshold or LR factor among `values` whose replay beats the measured run most."""
        from gradscope.advice.replay import Change

        assert self.replayer is not None
        candidates = [(f"{kind}={v:g}", Change(clip=v) if kind == "clip" else Change(lr_scale=v), v) for v in values]
        chosen, _ = self.replayer.best(candidates, conservative_first, calmer, likely)
        return None if chosen is None else (chosen, self.replayer.verified(chosen, calmer))

    # -- actions ---------------------------------------------------------------------
    def clip(self, why: str, finding: Finding | None = None) -> Recommendation | None:
        facts = self.diagnosis.facts
        lr = facts.lr[0] if facts.lr else 0.0
        weight = math.sqrt(sum(f.weight_norm**2 for f in facts.layers if f.measurable and math.isfinite(f.weight_norm)))
        candidates = clip_candidates(self.record, weight, lr, facts.adaptive)
        first = finding.evidence.get("first_norm") if finding is not None else None
        burst = ""
        likely: list[float] = []
        if isinstance(first, int | float) and first > 0:
            # A burst calls for a threshold near the norm the run had before it: what a healthy
            # step needs passes, the burst is cut back to it. The likely cure: replayed first.
            likely = [_round_sig(k * first) for k in BURST_CLIP_FACTORS]
            candidates = sorted({*candidates, *likely})
            burst = f", {' and '.join(f'{k:g}x' for k in BURST_CLIP_FACTORS)} the norm before the burst"
        how = (
            f"tried max_norm in {[_fmt(c) for c in candidates]} (median and {_PERCENTILE_TH} percentile of the "
            f"measured total gradient norm, the norm at which one SGD step moves the weights {SGD_STEP_SHARE:.0%} "
            f"of their size, {DEFAULT_MAX_NORM}"
            f"{burst}), each replayed for {self.replay_steps} steps from the same start"
        )
        if not self.replaying:
            norms = [s.total_grad_norm for s in self.record.steps if math.isfinite(s.total_grad_norm)]
            value = _round_sig(_percentile(norms, CLIP_PERCENTILE)) if norms else DEFAULT_MAX_NORM
            return Recommendation(
                action="clip_grad_norm",
                numbers={"max_norm": value, "clipped_fraction": clipped_fraction(self.record, value)},
                why=why,
                how=f"{_PERCENTILE_TH} percentile of the measured total gradient norm (not verified by a replay)",
                code=f"torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={_fmt(value)})",
            )
        try:
            best = self.best("clip", candidates, conservative_first=False, likely=likely)
        except OutOfTime as exc:
            self.spent(exc)
            return self.clip(why, finding)
        if best is None:
            self.notes.append(
                f"no clip threshold in {[_fmt(c) for c in candidates]} lowered the loss; none is recommended"
            )
            return None
        chosen, verified = best
        value = chosen.value
        return Recommendation(
            action="clip_grad_norm",
            numbers={"max_norm": value, "clipped_fraction": round(clipped_fraction(self.record, value), 3)},
            why=why,
            how=how,
            code=f"torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={_fmt(value)})",
            verified=verified,
        )

    def learning_rate(self, direction: str, why: str, calmer: Calm | None = None) -> Recommendation | None:
        facts = self.diagnosis.facts
        current = facts.lr[0] if facts.lr else math.nan
        measured = facts.median_update_ratio()
        scales = lr_scales(direction, measured)
        tried = [_fmt(current * s) for s in scales]
        how = (
            f"range test from the same start: lr in {tried} (x{', x'.join(_fmt(s) for s in scales)}; "
            f"the median dense layer moved {_fmt(measured)} of its norm per step, "
            f"~{_fmt(TARGET_UPDATE_RATIO)} is typical), lowest final loss after {self.replay_steps} steps"
        )
        if not self.replaying:
            scale = scales[len(scales) // 2]
            scheduled = lr_schedule(self.record)
            if scheduled is not None:
                # A scheduler moved the rate while it was measured (warm-up, decay): the first step's
                # rate is not the one to scale; the update ratios scale with the whole schedule.
                low, high = scheduled
                peak = _fmt(_round_sig(high * scale))
                return Recommendation(
                    action="learning_rate",
                    numbers={"lr": _round_sig(high * scale), "current_lr": high, "scale": scale},
                    why=why,
                    how=(
                        f"scaled x{_fmt(scale)} from the measured update ratios (not verified by a replay); a "
                        f"schedule moved the rate between {_fmt(low)} and {_fmt(high)} over the measured steps, "
                        f"so scale the whole schedule (the highest rate measured, {_fmt(high)}, becomes {peak}; "
                        "a warm-up longer than the measured steps peaks higher)"
                    ),
                    code=f"# every learning rate of the schedule x{_fmt(scale)} (highest measured lr -> {peak})",
                )
            return Recommendation(
                action="learning_rate",
                numbers={"lr": _round_sig(current * scale), "current_lr": current},
                why=why,
                how=f"scaled x{_fmt(scale)} from the measured update ratios (not verified by a replay)",
                code=f"{facts.optimizer}(model.parameters(), lr={_fmt(_round_sig(current * scale))})",
            )
        # Going down, prefer the gentlest cut that works; going up, the smallest raise.
        try:
            best = self.best(
                "lr",
                scales if direction == "up" else list(reversed(scales)),
                conservative_first=True,
                calmer=calmer,
                likely=[s for s in scales if s not in GRID_SCALES[direction]],  # derived from the measured update ratio
            )
        except OutOfTime as exc:
            self.spent(exc)
            return self.learning_rate(direction, why, calmer)
        if best is None:
            removed = " or removed its spike" if calmer is not None else ""
            self.notes.append(f"no learning rate in {tried} lowered the loss{removed}; none is recommended")
            return None
        chosen, verified = best
        lr = _round_sig(current * chosen.value)
        return Recommendation(
            action="learning_rate",
            numbers={"lr": lr, "current_lr": current, "scale": chosen.value},
            why=why,
            how=how,
            code=f"{facts.optimizer}(model.parameters(), lr={_fmt(lr)})",
            verified=verified,
        )

    def small_gradients(self) -> bool:
        """Gradients small for their weights (median dense layer under 1e-3), as at convergence."""
        values = [f.rel_grad for f in self.diagnosis.facts.dense() if math.isfinite(f.rel_grad)]
        return bool(values) and statistics.median(values) < CONVERGED_REL_GRAD

    def replayed(self, what: str) -> str:
        """The sentence saying how a change was checked, only when it really was."""
        # Asked just before check() replays the change, so the text says what check() will do.
        return f". Replayed with {what}" if self.replaying and self.replayer and self.replayer.affordable() else ""

    def check(self, change: Change, label: str) -> Verified | None:
        """Replay an architectural change (not a number) when a session and the budget allow."""
        if self.replayer is None or not self.replaying:
            return None
        try:
            return self.replayer.verified(self.replayer.replay(label, change))
        except OutOfTime as exc:
            self.spent(exc)
            return None

    def architecture(self, finding: Finding) -> list[Recommendation]:
        """Changes to the model itself that answer a vanishing, exploding or dead finding."""
        by_name = {f.name: f for f in self.diagnosis.facts.layers}
        flagged = [by_name[n] for n in finding.layers if n in by_name]
        out: list[Recommendation | None] = []
        if finding.status is LayerStatus.VANISHING:
            out += [self.to_relu(finding, flagged), self.batchnorm(finding, flagged), self.residual(finding, flagged)]
        if finding.status in (LayerStatus.EXPLODING, LayerStatus.DEAD):
            out.append(self.kaiming_init(finding, flagged))
        if finding.status is LayerStatus.DEAD:
            out.append(self.to_leaky_relu(finding, flagged))
        return [rec for rec in out if rec is not None]

    def to_relu(self, finding: Finding, flagged: list[LayerFacts]) -> Recommendation | None:
        """Saturating activations after vanishing layers swapped to ReLU."""
        from gradscope.advice.replay import Change

        after_flagged = [f for f in flagged if f.info.activation in SATURATING and f.info.activation_name]
        if not after_flagged:
            return None
        kinds = sorted({str(f.info.activation) for f in after_flagged})
        # Swap that activation everywhere in the model, not only after the flagged layers:
        # a half-sigmoid stack still saturates.
        saturating = [f for f in self.diagnosis.facts.layers if f.info.activation in kinds and f.info.activation_name]
        swapped = tuple(str(f.info.activation_name) for f in saturating)
        return Recommendation(
            action="activation",
            numbers={"layers": list(swapped), "replace": kinds[0], "with": "ReLU"},
            why=finding.code,
            how=f"{'/'.join(kinds)} passes at most {'0.25' if 'Sigmoid' in kinds else '1'} of the "
            "gradient per layer and less when saturated; ReLU passes 1 for active units"
            + self.replayed(
                "these activations swapped to ReLU and the layers before them re-initialised with kaiming_normal_"
            ),
            code=f"nn.ReLU()  # instead of nn.{kinds[0]}() after {saturating[0].name}",
            verified=self.check(Change(swap=swapped, reinit=tuple(f.name for f in saturating)), "activation=ReLU"),
        )

    def batchnorm(self, finding: Finding, flagged: list[LayerFacts]) -> Recommendation:
        return Recommendation(
            action="batchnorm",
            numbers={"layers": [f.name for f in flagged]},
            why=finding.code,
            how="normalising each layer's output keeps activations out of the saturated range "
            "and the gradient scale even through depth",
            code=f"nn.BatchNorm1d(num_features)  # after {flagged[0].name}, before its activation",
        )

    def residual(self, finding: Finding, flagged: list[LayerFacts]) -> Recommendation | None:
        depth = len(self.diagnosis.facts.dense())
        if depth < RESIDUAL_MIN_DEPTH:
            return None
        return Recommendation(
            action="residual",
            numbers={"layers": [f.name for f in flagged]},
            why=finding.code,
            how=f"{depth} dense layers in sequence; skip connections give the "
            "gradient a path that does not shrink with depth",
            code="x = x + block(x)",
        )

    def kaiming_init(self, finding: Finding, flagged: list[LayerFacts]) -> Recommendation | None:
        """Exploding or dead layers re-initialised so each keeps its gain near 1."""
        from gradscope.advice.replay import Change

        dense = tuple(f.name for f in flagged if f.info.kind in INIT_KINDS)
        if not dense:
            return None
        exploding = finding.status is LayerStatus.EXPLODING
        cause = (
            "gradients this large mean the weights amplify the signal layer after layer; "
            if exploding
            else "units die when their pre-activation is negative for every input, as a negative "
            "bias or an oversized weight makes it; "
        )
        return Recommendation(
            action="init",
            numbers={"layers": list(dense), "scheme": "kaiming_normal_" + ("" if exploding else ", zero bias")},
            why=finding.code,
            how=cause + "kaiming init keeps each layer's gain near 1" + self.replayed("these layers re-initialised"),
            code="nn.init.kaiming_normal_(layer.weight, nonlinearity='relu'); nn.init.zeros_(layer.bias)",
            verified=self.check(Change(reinit=dense), "init=kaiming"),
        )

    def to_leaky_relu(self, finding: Finding, flagged: list[LayerFacts]) -> Recommendation | None:
        """ReLUs after dead layers swapped to LeakyReLU, so a dead unit can recover."""
        from gradscope.advice.replay import Change

        relu = tuple(
            str(f.info.activation_name) for f in flagged if f.info.activation in RELU_FAMILY and f.info.activation_name
        )
        if not relu:
            return None
        return Recommendation(
            action="activation",
            numbers={"layers": list(relu), "replace": "ReLU", "with": "LeakyReLU"},
            why=finding.code,
            how="a LeakyReLU unit passes a small gradient when inactive, so it can recover"
            + self.replayed("these activations swapped"),
            code="nn.LeakyReLU(0.01)  # instead of nn.ReLU()",
            verified=self.check(Change(swap=relu, swap_to="LeakyReLU"), "activation=LeakyReLU"),
        )

    # -- the whole set --------------------------------------------------------------
    def run(self) -> list[Recommendation]:
        recs: list[Recommendation] = []
        standing = [f for f in self.diagnosis.findings if f.withdrawn is None]
        codes = {f.code: f for f in standing}
        facts = self.diagnosis.facts
        if "GS102" in codes:
            rec = self.clip("GS102", codes["GS102"])
            if rec:
                recs.append(rec)
        if "GS301" in codes:
            rec = self.learning_rate("down", "GS301", calm_after(codes["GS301"]))
            if rec:
                recs.append(rec)
            elif self.replaying:
                self.withdrawn["GS301"] = (
                    "no lower learning rate tried lowered the loss (or removed its spike) within the run, so the "
                    "model is likely limited by something else than its learning rate"
                )
        if "GS302" in codes:
            rec = self.learning_rate("up", "GS302")
            if rec:
                recs.append(rec)
            elif self.replaying and self.small_gradients():
                # Flat loss, still weights and small gradients: likely converged, not starved.
                self.withdrawn["GS302"] = (
                    "no higher learning rate tried lowered the loss and the gradients are small for their "
                    "weights, so the model is likely converged, not starved"
                )
        if "GS104" in codes and facts.has_loss and ran_away(facts.losses):
            # NaN after the loss ran away is an LR/explosion problem worth a number;
            # NaN in the data or the loss is not, and no number fixes it.
            for rec in (self.learning_rate("down", "GS104"), self.clip("GS104")):
                if rec and rec.verified and rec.verified.improved:
                    recs.append(rec)
        for finding in standing:
            for rec in self.architecture(finding):
                if rec.verified is not None and not rec.verified.improved:
                    # A change to the model is the textbook cure here, but it often needs more
                    # steps than the probe's to show: keep it, with the replay's honest result.
                    v = rec.verified
                    self.notes.append(
                        f"{rec.action} {_brief(rec)} did not lower the loss within {self.replay_steps} replayed steps "
                        f"({v.loss_before:.3g} -> {v.loss_after:.3g}); such changes often need longer to pay off"
                    )
                recs.append(rec)
        return _ranked(recs)


def recommend(
    record: RunRecord,
    diagnosis: Diagnosis,
    session: Session | None,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    replay: bool = True,
    clock: Clock | None = None,
) -> tuple[tuple[Recommendation, ...], tuple[Finding, ...], Verdict, tuple[LayerStatus, ...], tuple[str, ...]]:
    """Recommendations, and the findings/verdict after verification withdrew unconfirmed ones."""
    r = Recommender(record, diagnosis, session, progress, clock)
    recs = r.run()
    if r.out_of_time is not None:
        r.notes.append(
            f"the time budget ran out during verification ({r.out_of_time}): the numbers from then on are "
            "not verified; raise --budget to replay them"
        )
    if r.replayer is not None and r.replayer.skipped:
        r.notes.append(f"the time budget left {', '.join(r.replayer.skipped)} untried; chosen among the rest")
    findings = [
        replace(f, withdrawn=r.withdrawn[f.code]) if f.code in r.withdrawn and f.withdrawn is None else f
        for f in diagnosis.findings
    ]
    verdict, statuses = settle(record, findings)
    if session is None and recs and any(rec.action in {"clip_grad_norm", "learning_rate"} for rec in recs):
        if not replay:
            r.notes.append("numeric recommendations were not verified: watch() has no script to replay")
        elif clock is not None and clock.stop_requested is not None:
            r.notes.append(f"numeric recommendations were not verified: {clock.stop_requested} stopped the run first")
        else:
            r.notes.append("numeric recommendations were not verified (--no-verify)")
    return tuple(recs), tuple(findings), verdict, statuses, tuple(r.notes)
