"""Terminal report (rich)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from gradscope.records import layer_summary
from gradscope.types import Report


def _num(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)


def print_report(report: Report, *, quiet: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"verdict: {report.verdict.value}")
    if quiet:
        return
    table = Table("layer", "kind", "params", "grad norm", "update ratio", "status")
    for i, (layer, status) in enumerate(zip(report.record.layers, report.statuses, strict=True)):
        s = layer_summary(report.record, i)
        table.add_row(
            layer.name, layer.kind, str(layer.params), _num(s["grad_norm"]), _num(s["update_ratio"]), status.value
        )
    console.print(table)
    for f in report.findings:
        console.print(f"{f.code} {f.rule} [{f.severity.value}] {f.message}")
    for r in report.recommendations:
        console.print(f"recommend {r.action}: {dict(r.numbers)} {r.verified}")


def print_rules(console: Console | None = None) -> None:
    from gradscope.diagnosis import RULES

    console = console or Console()
    table = Table("code", "name", "severity", "description")
    for r in sorted(RULES, key=lambda r: r.code):
        table.add_row(r.code, r.name, r.severity.value, r.description)
    console.print(table)
