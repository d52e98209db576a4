"""What the rule modules share: building a Finding and formatting its figures."""

from __future__ import annotations

import math
from collections.abc import Mapping

from gradscope.data.records import Finding
from gradscope.diagnosis.facts import LayerFacts
from gradscope.diagnosis.registry import Rule


def finding(r: Rule, layers: list[str], evidence: Mapping[str, object], message: str, fix: str) -> Finding:
    return Finding(
        code=r.code,
        rule=r.name,
        severity=r.severity,
        layers=tuple(layers),
        evidence=evidence,  # type: ignore[arg-type]
        message=message,
        fix=fix,
        verdict=r.verdict,
        status=r.status,
    )


def sig(x: float) -> float:
    """Three significant digits, for evidence a reader compares by eye."""
    return float(f"{x:.3g}") if math.isfinite(x) else x


def names(layers: list[LayerFacts], limit: int = 6) -> str:
    listed = [f.name for f in layers]
    return ", ".join(listed[:limit]) + (f" and {len(listed) - limit} more" if len(listed) > limit else "")
