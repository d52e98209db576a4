"""The findings block: each finding with its layers, evidence and fix; withdrawn ones set aside."""

from __future__ import annotations

from rich.text import Text

from gradscope.data.records import Finding, Report
from gradscope.render.console.glyphs import Glyphs, Line, indent
from gradscope.render.console.names import layer_groups
from gradscope.render.console.style import SEVERITY_STYLES
from gradscope.render.console.values import value_text


def finding_lines(report: Report, f: Finding, g: Glyphs) -> list[Line]:
    head = Text()
    head.append(f.code, style="bold")
    head.append(f" {f.rule} ")
    head.append(f.severity.value, style=SEVERITY_STYLES[f.severity])
    if f.layers:
        head.append(f" {g.dot} {layer_groups(report, f.layers, g)}")
    lines = [Line(head), Line(indent(Text(f.message)))]
    if f.evidence:
        evidence = "; ".join(f"{k} {value_text(v, g)}" for k, v in f.evidence.items())
        lines.append(Line(indent(Text(f"evidence: {evidence}", style="dim"))))
    if f.fix:
        lines.append(Line(indent(Text(f"fix: {f.fix}", style="green"))))
    return lines


def set_aside_lines(f: Finding) -> list[Line]:
    """A withdrawn finding: what was seen and why it does not set the verdict."""
    head = Text(style="dim")
    head.append(f"{f.code} {f.rule}")
    head.append(f": {f.message}")
    return [Line(head), Line(indent(Text(f"withdrawn: {f.withdrawn}", style="dim")))]
