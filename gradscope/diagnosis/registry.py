"""The rule registry: stable codes, names, thresholds and examples, one rule a file.

A rule is a pure function `check(facts, limits) -> Finding | None` decorated
with @rule in its own module under `gradscope/diagnosis/rules/`. The decorator
records everything the rest of gradscope needs to know about it: its code
(GS1xx gradient flow, GS2xx set-up, GS3xx learning rate; never reused), what it
sets, the named thresholds it judges by (`limits`, a frozen dataclass kept in
the rule's file), whether it needs the loss, examples that must make it fire
and stay quiet, and how it relates to other rules. `gradscope rules`, the
README table and the rule tests all iterate this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gradscope.data.records import LayerStatus, Severity, Verdict
from gradscope.diagnosis.remedies import Remedy

if TYPE_CHECKING:
    from gradscope.data.records import Finding, RunRecord
    from gradscope.diagnosis.facts import Facts

Check = Callable[["Facts", Any], "Finding | None"]


@dataclass(frozen=True)
class Example:
    """A record a rule must judge a given way, and why (shown when the test fails)."""

    why: str
    build: Callable[[], RunRecord]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    description: str
    severity: Severity
    verdict: Verdict | None
    status: LayerStatus | None
    check: Check
    limits: Any  # the rule's own frozen dataclass of named thresholds
    # Reads the loss's level; not run without a loss, nor where the loss is a policy-gradient
    # objective (Facts.policy), whose level is no progress.
    needs_loss: bool = False
    # Judges a policy's entropy instead where the run has one (with or without a loss).
    judges_policy: bool = False
    # Fewest recorded steps (with a loss, for a loss rule) the rule can judge; a shorter run
    # skips it and the report says so rather than guessing.
    min_steps: int = 1
    fires: tuple[Example, ...] = ()
    quiet: tuple[Example, ...] = ()
    # Codes that explain this finding away when they fire (stalled weights explained by a
    # vanishing gradient are not a learning-rate problem).
    yields_to: tuple[str, ...] = ()
    # Codes whose findings carry an onset step: this rule is judged again on the steps
    # before that onset, and a finding that only appears after it is that problem's consequence.
    consequence_of: tuple[str, ...] = ()
    # The evidence key of those findings that holds the onset step (the default: "onset_step").
    consequence_onset: str = "onset_step"
    # What to try when it fires (gradscope.diagnosis.remedies); None: nothing to recommend.
    remedy: Remedy | None = None

    def __call__(self, facts: Facts) -> Finding | None:
        return self.check(facts, self.limits)


_REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    description: str,
    severity: Severity,
    *,
    limits: Any,
    verdict: Verdict | None = None,
    status: LayerStatus | None = None,
    needs_loss: bool = False,
    judges_policy: bool = False,
    min_steps: int = 1,
    fires: tuple[Example, ...] = (),
    quiet: tuple[Example, ...] = (),
    yields_to: tuple[str, ...] = (),
    consequence_of: tuple[str, ...] = (),
    consequence_onset: str = "onset_step",
    remedy: Remedy | None = None,
) -> Callable[[Check], Rule]:
    """Wrap a check function into a registered Rule carrying its code and meaning."""

    def wrap(check: Check) -> Rule:
        if code in _REGISTRY:
            raise ValueError(f"rule code {code} is registered twice ({_REGISTRY[code].name} and {name})")
        registered = Rule(
            code, name, description, severity, verdict, status, check, limits, needs_loss, judges_policy,
            min_steps, fires, quiet, yields_to, consequence_of, consequence_onset, remedy,
        )  # fmt: skip
        _REGISTRY[code] = registered
        return registered

    return wrap


def registered() -> tuple[Rule, ...]:
    """Every registered rule: by group (GS1xx, GS2xx, GS3xx), in a group the most serious verdict first."""
    order = tuple(Verdict)

    def key(r: Rule) -> tuple[str, int, str]:
        return (r.code[:3], order.index(r.verdict) if r.verdict is not None else len(order), r.code)

    return tuple(sorted(_REGISTRY.values(), key=key))
