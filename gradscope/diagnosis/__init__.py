"""Diagnosis: a RunRecord judged by the registered rules.

`diagnose(record)` runs every rule, then derives each layer's status and the run
verdict from the findings: a status comes from the most serious finding that
names the layer, the verdict from the most serious finding of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradscope.config import Thresholds
from gradscope.diagnosis.facts import Facts, build_facts
from gradscope.diagnosis.registry import Rule
from gradscope.diagnosis.rules import RULES
from gradscope.types import Finding, LayerStatus, RunRecord, Verdict

__all__ = ["RULES", "Diagnosis", "Facts", "Rule", "build_facts", "diagnose", "rules_markdown"]


def rules_markdown() -> str:
    """The rules table of the README, generated from the registry."""
    lines = ["| code | rule | severity | sets | looks for |", "|---|---|---|---|---|"]
    for r in sorted(RULES, key=lambda r: r.code):
        sets = ", ".join(
            x for x in (r.verdict and f"verdict `{r.verdict.value}`", r.status and f"status `{r.status.value}`") if x
        )
        lines.append(f"| {r.code} | `{r.name}` | {r.severity.value} | {sets or '-'} | {r.description} |")
    return "\n".join(lines)


LOSS_RULES = ("GS301", "GS302")

# Most serious first: a layer both exploding and NaN is reported NaN.
STATUS_PRECEDENCE = (
    LayerStatus.FROZEN,
    LayerStatus.NONFINITE,
    LayerStatus.EXPLODING,
    LayerStatus.VANISHING,
    LayerStatus.DEAD,
    LayerStatus.UNUSED,
    LayerStatus.NOT_OPTIMIZED,
    LayerStatus.HEALTHY,
)
VERDICT_ORDER = tuple(Verdict)


@dataclass(frozen=True)
class Diagnosis:
    verdict: Verdict
    statuses: tuple[LayerStatus, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]
    facts: Facts


def settle(record: RunRecord, findings: list[Finding]) -> tuple[Verdict, tuple[LayerStatus, ...]]:
    """Layer statuses and the run verdict implied by a list of findings."""
    names = [layer.name for layer in record.layers]
    candidates: dict[str, set[LayerStatus]] = {n: set() for n in names}
    for finding in findings:
        if finding.status is None:
            continue
        for name in finding.layers:
            if name in candidates:
                candidates[name].add(finding.status)
    statuses = []
    for name in names:
        found = candidates[name]
        statuses.append(next((s for s in STATUS_PRECEDENCE if s in found), LayerStatus.HEALTHY))
    verdicts = [f.verdict for f in findings if f.verdict is not None]
    verdict = min(verdicts, key=VERDICT_ORDER.index) if verdicts else Verdict.HEALTHY
    return verdict, tuple(statuses)


def diagnose(record: RunRecord, thresholds: Thresholds | None = None) -> Diagnosis:
    t = thresholds or Thresholds()
    facts = build_facts(record, t.loss_window)
    notes: list[str] = []
    findings: list[Finding] = []
    for r in RULES:
        if r.code in LOSS_RULES and not facts.has_loss:
            continue
        found = r.check(facts, t)
        if found is not None:
            findings.append(found)
    if not facts.has_loss:
        notes.append(
            "no loss was recorded, so the learning-rate rules (GS301 lr-too-high, GS302 lr-too-low) did not run; "
            "pass it with w.loss(loss)"
        )
    verdict, statuses = settle(record, findings)
    return Diagnosis(verdict, statuses, tuple(findings), tuple(notes), facts)
