"""The recommendations block: each change as code to paste, its numbers and its verification."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rich.text import Text

from gradscope.data.records import Recommendation, Report, Verified
from gradscope.render.console.glyphs import Glyphs, Line, indent
from gradscope.render.console.names import layer_groups
from gradscope.render.console.style import fmt
from gradscope.render.console.values import is_number, value_text


def _verified(v: Verified | None, g: Glyphs) -> Text:
    if v is None:
        return Text("not verified", style="dim")
    before, after = v.loss_before, v.loss_after
    change = ""
    if math.isfinite(before) and math.isfinite(after) and before != 0:
        change = f" ({(after - before) / abs(before):+.0%})"
    mark, style = (g.ok, "bold green") if v.improved else (g.bad, "bold red")
    result = "improved" if v.improved else "not improved"
    return Text(f"verified: loss {fmt(before)} {g.arrow} {fmt(after)}{change} {mark} {result}", style=style)


def _numbers(report: Report, numbers: Mapping[str, object], g: Glyphs) -> str:
    parts = []
    for key, value in numbers.items():
        if key == "layers" and isinstance(value, list | tuple):
            parts.append(f"layers {layer_groups(report, [str(v) for v in value], g)}")
        elif key.endswith("fraction") and is_number(value):
            parts.append(f"{key} {float(value):.0%}")  # type: ignore[arg-type]
        else:
            parts.append(f"{key} {value_text(value, g)}")
    return f" {g.dot} ".join(parts)


def recommendation_lines(report: Report, number: int, r: Recommendation, g: Glyphs) -> list[Line]:
    head = Text()
    head.append(f"{number}. {r.action}", style="bold")
    if r.why:
        head.append(f" (for {r.why})", style="dim")
    head.append(f" {g.dot} ")
    head.append_text(_verified(r.verified, g))
    lines = [Line(head)]
    for code in r.code.splitlines():
        lines.append(Line(Text("    " + code, style="bold cyan"), soft=True))
    if r.numbers:
        lines.append(Line(indent(Text(_numbers(report, r.numbers, g)))))
    if r.how:
        lines.append(Line(indent(Text(f"how: {r.how}", style="dim"))))
    return lines
