"""Findings -> recommendations: what each rule's remedy declares, made and checked by replays.

The advice runs the remedies the rules carry (gradscope.diagnosis.remedies) and never asks
which rule fired: first every rule's numbers (a clip threshold, a learning rate) in registry
order, a supplementary remedy's last and kept only when a replay showed it helps; then the
changes to the model, finding by finding. A remedy whose rule says its finding is unconfirmed
when no number helps withdraws that finding once replays ran and found none. The same change
proposed twice is recommended once; the ones a replay showed to help most come first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from gradscope.advice.advisor import Advisor
from gradscope.advice.changes import make_change
from gradscope.advice.numbers import make_number
from gradscope.advice.replay import Replayer
from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import Finding, LayerStatus, Recommendation, RunRecord, Severity, Verdict
from gradscope.diagnosis import RULES, Diagnosis, settle
from gradscope.diagnosis.registry import Rule


@dataclass(frozen=True)
class Advice:
    """The recommendations, and the findings and verdict as the replays left them."""

    recommendations: tuple[Recommendation, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict
    statuses: tuple[LayerStatus, ...]
    notes: tuple[Note, ...]
    replayed: bool  # numbers were checked by replays (a door that replays, budget left)


def _gain(rec: Recommendation) -> float:
    """How much lower a verified recommendation's replay ended, as a share of the measured run's loss."""
    v = rec.verified
    if v is None or not v.improved or not math.isfinite(v.loss_before) or not v.loss_before:
        return 0.0
    return (v.loss_before - v.loss_after) / abs(v.loss_before)


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
        return (0, -_gain(rec))

    return sorted(unique, key=order)


def _brief(rec: Recommendation) -> str:
    numbers = rec.numbers
    if "replace" in numbers:
        return f"{rec.action} {numbers['replace']} -> {numbers['with']}"
    return f"{rec.action} {numbers.get('scheme', '')}"


def _numbers(advisor: Advisor, rule: Rule, finding: Finding) -> list[Recommendation]:
    """What a rule's numeric remedy gives; withdraws the finding when replays say it is not one."""
    remedy = rule.remedy
    if remedy is None or (remedy.when is not None and not remedy.when(advisor.diagnosis.facts)):
        return []
    made = [rec for rec in (make_number(advisor, t, finding) for t in remedy.numbers()) if rec is not None]
    if remedy.needs_replay and not advisor.replaying:
        advisor.notes.append(Note(NoteCode.FINDING_UNVERIFIED, {"finding": f"{finding.code} {finding.rule}"}))
        advisor.unconfirmed.add(finding.code)
    if remedy.supplementary:
        return [rec for rec in made if rec.verified is not None and rec.verified.improved]
    unconfirmed = remedy.unconfirmed is not None and remedy.numbers() and not made and advisor.replaying
    unconfirmed = unconfirmed and finding.code not in advisor.untried
    if unconfirmed and (remedy.unconfirmed_if is None or remedy.unconfirmed_if(advisor.diagnosis.facts)):
        advisor.withdrawn[finding.code] = str(remedy.unconfirmed)
    return made


def _model_changes(advisor: Advisor, rule: Rule, finding: Finding) -> list[Recommendation]:
    if rule.remedy is None:
        return []
    out = []
    for change in rule.remedy.model_changes():
        rec = make_change(advisor, change, finding)
        if rec is None:
            continue
        v = rec.verified
        if v is not None and not v.improved:
            # A change to the model is the textbook cure here, but it often needs more steps
            # than the probe's to show: keep it, with the replay's honest result.
            fields = {
                "change": _brief(rec),
                "steps": advisor.replay_steps,
                "before": v.loss_before,
                "after": v.loss_after,
            }
            advisor.notes.append(Note(NoteCode.SLOW_PAYOFF, fields))
        out.append(rec)
    return out


def _remedied(advisor: Advisor) -> list[Recommendation]:
    standing = [(r, f) for r in RULES for f in advisor.diagnosis.findings if f.code == r.code and f.withdrawn is None]
    main = [(r, f) for r, f in standing if r.remedy is not None and not r.remedy.supplementary]
    extra = [(r, f) for r, f in standing if r.remedy is not None and r.remedy.supplementary]
    recs: list[Recommendation] = []
    for r, f in (*main, *extra):
        recs += _numbers(advisor, r, f)
    for r, f in standing:
        recs += _model_changes(advisor, r, f)
    return recs


def recommend(record: RunRecord, diagnosis: Diagnosis, replayer: Replayer | None) -> Advice:
    """Recommendations, and the findings/verdict after verification withdrew unconfirmed ones."""
    advisor = Advisor(record, diagnosis, replayer)
    recs = _ranked(_remedied(advisor))
    if advisor.out_of_time is not None:
        advisor.notes.append(Note(NoteCode.BUDGET_OUT, {"why": advisor.out_of_time}))
    if replayer is not None and replayer.skipped:
        advisor.notes.append(Note(NoteCode.UNTRIED, {"candidates": list(replayer.skipped)}))
    findings = [
        replace(f, withdrawn=advisor.withdrawn[f.code]) if f.code in advisor.withdrawn and f.withdrawn is None else f
        for f in diagnosis.findings
    ]
    # A hypothesis no replay could test states its verdict but does not fail a CI run at --fail-on
    # error: a false alarm costs more than a warning that asks for `gradscope diagnose`.
    findings = [replace(f, severity=Severity.WARNING) if f.code in advisor.unconfirmed else f for f in findings]
    verdict, statuses = settle(record, findings)
    return Advice(tuple(recs), tuple(findings), verdict, statuses, tuple(advisor.notes), replayer is not None)
