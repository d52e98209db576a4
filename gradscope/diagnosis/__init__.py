"""Diagnosis: a RunRecord judged by the registered rules.

`diagnose(record)` runs every rule, sets aside the findings another one
explains (kept in the report with the reason, never dropped), then derives each
layer's status and the run verdict from the findings that stand: a status comes
from the most serious finding that names the layer, the verdict from the most
serious finding of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import Finding, LayerStatus, RunRecord, Severity, Verdict
from gradscope.diagnosis.facts import Facts, build_facts
from gradscope.diagnosis.registry import Rule
from gradscope.diagnosis.rules import RULES

__all__ = ["RULES", "Diagnosis", "Facts", "Rule", "build_facts", "diagnose", "rules_markdown", "settle"]


def rules_markdown() -> str:
    """The rules table of the README, generated from the registry."""
    lines = ["| code | rule | severity | sets | looks for |", "|---|---|---|---|---|"]
    for r in sorted(RULES, key=lambda r: r.code):
        sets = ", ".join(
            x for x in (r.verdict and f"verdict `{r.verdict.value}`", r.status and f"status `{r.status.value}`") if x
        )
        lines.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {sets or '-'} | {r.description} |")
    return "\n".join(lines)


# A layer several findings name takes the most serious of their statuses (LayerStatus is in
# that order: a layer both exploding and NaN is reported NaN), except that a frozen layer is
# reported frozen whatever else is said of it, since it has no gradient to judge.
STATUS_PRECEDENCE = (LayerStatus.FROZEN, *(s for s in LayerStatus if s is not LayerStatus.FROZEN))
VERDICT_ORDER = tuple(Verdict)


@dataclass(frozen=True)
class Diagnosis:
    verdict: Verdict
    statuses: tuple[LayerStatus, ...]
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    facts: Facts


def settle(record: RunRecord, findings: list[Finding]) -> tuple[Verdict, tuple[LayerStatus, ...]]:
    """Layer statuses and the run verdict implied by the findings that are not withdrawn."""
    standing = [f for f in findings if f.withdrawn is None]
    names = [layer.name for layer in record.layers]
    candidates: dict[str, set[LayerStatus]] = {n: set() for n in names}
    for finding in standing:
        if finding.status is None:
            continue
        for name in finding.layers:
            if name in candidates:
                candidates[name].add(finding.status)
    statuses = []
    for name in names:
        found = candidates[name]
        statuses.append(next((s for s in STATUS_PRECEDENCE if s in found), LayerStatus.HEALTHY))
    verdicts = [f.verdict for f in standing if f.verdict is not None]
    verdict = min(verdicts, key=VERDICT_ORDER.index) if verdicts else Verdict.HEALTHY
    return verdict, tuple(statuses)


def _explained(r: Rule, by_code: dict[str, Finding], record: RunRecord) -> str | None:
    """Why r's finding is another finding's doing, or None when it stands on its own."""
    for code in r.yields_to:
        other = by_code.get(code)
        # Only a finding that stands as an error explains another away (a warning that a few
        # layers lose their updates does not explain a rate too low for all the others).
        if other is not None and other.withdrawn is None and other.severity is Severity.ERROR:
            return f"explained by {other.code} {other.rule}"
    for code in r.consequence_of:
        other = by_code.get(code)
        onset = other.evidence.get(r.consequence_onset) if other is not None and other.withdrawn is None else None
        if other is None or not isinstance(onset, int):
            continue
        # Judged again on the steps before the other problem began: if it was not there
        # yet, it is that problem's consequence (a net saturated by a gradient burst).
        before = build_facts(replace(record, steps=record.steps[:onset]))
        if onset == 0 or r(before) is None:
            return f"a consequence of {other.code} {other.rule}, which came first (from step {onset})"
    return None


def _reads_loss(r: Rule, facts: Facts) -> bool:
    """Whether `r` judges this run by its loss: a loss rule, unless it judges a policy by its
    entropy where the run has one."""
    return r.needs_loss and not (r.judges_policy and facts.policy)


def diagnose(record: RunRecord) -> Diagnosis:
    facts = build_facts(record)
    notes: list[Note] = []
    by_code: dict[str, Finding] = {}
    short: list[Rule] = []
    for r in RULES:
        reads_loss = _reads_loss(r, facts)
        # A policy-gradient objective's level is no progress (Facts.policy): not read at all.
        if reads_loss and (not facts.has_loss or facts.policy):
            continue
        if (len(facts.losses) if reads_loss else facts.steps) < r.min_steps:
            short.append(r)
            continue
        found = r(facts)
        if found is not None:
            by_code[r.code] = found
    # In registry order; a finding withdrawn later (GS102 as GS301's consequence) may still have
    # explained an earlier one away, which changes the reason given, not the verdict.
    for r in RULES:
        found = by_code.get(r.code)
        if found is not None:
            why = _explained(r, by_code, record)
            if why is not None:
                by_code[r.code] = replace(found, withdrawn=why)
    unread = [f"{r.code} {r.name}" for r in RULES if _reads_loss(r, facts)]
    if facts.has_loss and facts.policy:
        judges = [f"{r.code} {r.name}" for r in RULES if r.judges_policy]
        notes.append(Note(NoteCode.POLICY_LOSS, {"rules": unread, "judges": judges}))
    if not facts.has_loss:
        notes.append(Note(NoteCode.NO_LOSS, {"rules": unread}))
    if short:
        skipped = [f"{r.code} {r.name} needs {r.min_steps}" for r in short]
        notes.append(Note(NoteCode.TOO_SHORT, {"steps": facts.steps, "skipped": skipped}))
    findings = [by_code[r.code] for r in RULES if r.code in by_code]
    verdict, statuses = settle(record, findings)
    return Diagnosis(verdict, statuses, tuple(findings), tuple(notes), facts)
