"""The rule registry: stable codes, names and one-line descriptions.

A rule is a pure function `check(facts, thresholds) -> Finding | None`
decorated with @rule. Codes are grouped (GS1xx gradient flow, GS2xx set-up,
GS3xx learning rate) and never reused; `gradscope rules` and the README table
are generated from this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradscope.types import LayerStatus, Severity, Verdict

if TYPE_CHECKING:
    from gradscope.config import Thresholds
    from gradscope.diagnosis.facts import Facts
    from gradscope.types import Finding

Check = Callable[["Facts", "Thresholds"], "Finding | None"]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    description: str
    severity: Severity
    verdict: Verdict | None
    status: LayerStatus | None
    check: Check


def rule(
    code: str,
    name: str,
    description: str,
    severity: Severity,
    verdict: Verdict | None = None,
    status: LayerStatus | None = None,
) -> Callable[[Check], Rule]:
    """Wrap a check function into a Rule carrying its code and meaning."""

    def wrap(check: Check) -> Rule:
        return Rule(code, name, description, severity, verdict, status, check)

    return wrap
