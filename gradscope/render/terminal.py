"""The terminal report: what is wrong, where, and what to change, on one screen.

Layout, top to bottom: a header (script, model size, device, optimizer, steps,
seed, wall time), the verdict in one coloured line, the per-layer table in
model order, the findings with their evidence and fix, the recommendations as
code to paste with their verification, and the notes.

The whole report aims at SCREEN_LINES lines: the layer table gets whatever the
other sections leave, and `rows.plan_rows` merges layers into shared rows
until it fits, never hiding a layer with a problem (see rows.py).

Only rich is imported here (no pandas, matplotlib or torch), so `gradscope
render` of a saved run starts fast and works where torch is not installed.
Colour comes from rich's Console, which already turns itself off for NO_COLOR,
TERM=dumb and output that is not a terminal; nothing here forces it on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from gradscope.records import layer_summary
from gradscope.render.rows import Row, plan_rows
from gradscope.render.style import (
    HEALTHY_BAND,
    STATUS_COLORS,
    VERDICT_MEANINGS,
    VERDICT_STYLES,
    fmt,
    fmt_count,
    fmt_lr,
)
from gradscope.types import Finding, LayerStatus, Recommendation, Report, Severity, Verdict, Verified

SCREEN_LINES = 50
# Below this many table rows a big model's table says too little; the report
# may then run past SCREEN_LINES rather than hide the layers.
MIN_TABLE_ROWS = 12
# Table header and its rule (box.SIMPLE_HEAD without the outer edge).
TABLE_CHROME = 2
# The update-ratio bar spans 1e-10 .. 1; narrow terminals get half the cells.
BAR_DECADES = 10
WIDE = 96
NARROW = 72
# Findings name at most this many runs of layers; the table shows them all.
MAX_LAYER_GROUPS = 4
SEVERITY_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


@dataclass(frozen=True)
class Glyphs:
    """Typographic characters, with ASCII stand-ins for terminals that cannot encode them."""

    ellipsis: str
    arrow: str
    dot: str
    blocks: str  # partial bar cells, 1/8 .. 8/8
    ok: str
    bad: str


UNICODE = Glyphs("…", "→", "·", "▏▎▍▌▋▊▉█", "✓", "✗")
ASCII = Glyphs("...", "->", "|", "12345678", "ok", "x")


def glyphs_for(console: Console) -> Glyphs:
    return UNICODE if console.encoding.lower().replace("-", "").startswith("utf") else ASCII


@dataclass(frozen=True)
class Line:
    """A renderable, and whether to print it unwrapped (code to paste must stay one line)."""

    renderable: RenderableType
    soft: bool = False


class Indented:
    """Text indented by two, its wrapped lines too, without trailing blanks (rich.Padding pads them)."""

    def __init__(self, text: Text, indent: int = 2) -> None:
        self.text = text
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.text.wrap(console, max(options.max_width - self.indent, 16)):
            line.rstrip()
            yield Text(" " * self.indent) + line


def _indent(text: Text) -> Indented:
    return Indented(text)


# ---------------------------------------------------------------- header


def _header(report: Report, g: Glyphs) -> list[Line]:
    run = report.record.run
    title = Text()
    title.append("gradscope", style="bold")
    title.append(f" {g.dot} ")
    title.append(run.script or "(watched run)", style="bold")
    size = f"{len(report.record.layers)} layers, {run.total_params:,} params"
    if run.trainable_params != run.total_params:
        size += f" ({run.trainable_params:,} trainable)"
    title.append(f" {g.dot} {size}")
    steps = f"{run.steps} steps" + (f" (measured every {run.every})" if run.every > 1 else "")
    details = [
        f"{run.device} {run.dtype}",
        f"{run.optimizer} lr {fmt_lr(run.lr)}",
        steps,
        "no seed" if run.seed is None else f"seed {run.seed}",
        f"{run.wall_s:.1f} s",
    ]
    lines = [Line(title), Line(Text(f" {g.dot} ".join(details), style="dim"))]
    caveats = []
    if run.default_optimizer:
        caveats.append(f"the script defines no optimizer, so the default {run.optimizer}(lr={fmt_lr(run.lr)}) ran")
    if run.skipped_steps:
        caveats.append(f"{run.skipped_steps} step(s) skipped")
    if run.loss_source == "none":
        caveats.append("no loss was recorded")
    if caveats:
        lines.append(Line(Text("note: " + "; ".join(caveats), style="yellow")))
    return lines


# ---------------------------------------------------------------- verdict


def verdict_line(report: Report, g: Glyphs = UNICODE) -> Text:
    """The one line that answers "is it healthy?"; also all that --quiet prints."""
    flagged: dict[LayerStatus, int] = {}
    for status in report.statuses:
        if status is not LayerStatus.HEALTHY:
            flagged[status] = flagged.get(status, 0) + 1
    parts = [f"verdict: {report.verdict.value}", VERDICT_MEANINGS[report.verdict]]
    total = len(report.statuses)
    parts.extend(f"{n}/{total} layers {s.value}" for s, n in flagged.items())
    if report.verdict is Verdict.HEALTHY:
        # The verdict already names the problem; a healthy run's findings are what is left to say.
        counts = [(s, sum(1 for f in report.findings if f.severity is s)) for s in Severity]
        ranked = sorted(counts, key=lambda c: -c[0].rank)
        parts.append(", ".join(f"{n} {s.value}{'s' if n > 1 else ''}" for s, n in ranked if n) or "no findings")
    return Text(f" {g.dot} ".join(parts), style=VERDICT_STYLES[report.verdict])


# ---------------------------------------------------------------- layer table


def ratio_bar(value: float, g: Glyphs, cells: int = BAR_DECADES) -> Text:
    """A log-scale bar from 1e-10 to 1 in `cells` cells, coloured by the healthy band."""
    if math.isnan(value) or math.isinf(value):
        return Text("!" * cells, style=STATUS_COLORS[LayerStatus.NONFINITE])
    if value <= 0:
        return Text(g.dot.ljust(cells), style="dim")
    share = max(0.0, min(1.0, (math.log10(value) + BAR_DECADES) / BAR_DECADES))
    full, part = divmod(max(round(share * cells * 8), 1), 8)
    bar = g.blocks[-1] * full + (g.blocks[part - 1] if part else "")
    low, high = HEALTHY_BAND
    if value < low:
        color = STATUS_COLORS[LayerStatus.VANISHING]
    elif value <= high:
        color = STATUS_COLORS[LayerStatus.HEALTHY]
    elif value <= 0.1:
        color = STATUS_COLORS[LayerStatus.DEAD]  # orange: fast, worth a look
    else:
        color = STATUS_COLORS[LayerStatus.EXPLODING]
    return Text(bar.ljust(cells), style=color)


def _ratio_cell(value: float, g: Glyphs, cells: int, approx: bool = False) -> Text:
    cell = Text((("~" if approx else "") + fmt(value)).rjust(9) + " ")
    cell.append_text(ratio_bar(value, g, cells))
    return cell


def _median(values: Sequence[float]) -> float:
    finite = sorted(v for v in values if math.isfinite(v))
    if not finite:
        return values[0] if values else math.nan
    mid = len(finite) // 2
    return finite[mid] if len(finite) % 2 else (finite[mid - 1] + finite[mid]) / 2


def _status_text(status: LayerStatus, label: str | None = None) -> Text:
    bold = "" if status in (LayerStatus.HEALTHY, LayerStatus.FROZEN) else "bold "
    return Text(label or status.value, style=f"{bold}{STATUS_COLORS[status]}")


def _row_label(report: Report, row: Row, g: Glyphs) -> Text:
    layers = report.record.layers
    span = f"{layers[row.start].name} {g.ellipsis} {layers[row.stop - 1].name}"
    if not row.mixed and row.status is LayerStatus.HEALTHY:
        return Text(f"{g.ellipsis} {row.size} healthy layers ({span})", style="dim")
    if not row.mixed:
        return Text(f"{row.size} {row.status.value} layers ({span})", style=STATUS_COLORS[row.status])
    counts = ", ".join(f"{n} {s.value}" for s, n in row.counts())
    return Text(f"{row.size} layers: {counts} ({span})", style=STATUS_COLORS[row.status])


def layer_table(report: Report, rows: Sequence[Row], g: Glyphs, width: int = 100) -> Table:
    """One row per layer, or per run of layers that `rows` merged, in model order."""
    wide, narrow = width >= WIDE, width < NARROW
    cells = BAR_DECADES if wide else BAR_DECADES // 2
    # The box's column divider is a space; no padding besides, to leave the names room.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    # Names fold rather than truncate: two layers must never look alike.
    table.add_column("layer", overflow="fold", min_width=16)
    if not narrow:  # below NARROW the name, figures and status matter more than kind and size
        table.add_column("kind", overflow="ellipsis", no_wrap=True, max_width=14 if wide else 10)
        table.add_column("params", justify="right", no_wrap=True)
    table.add_column("grad norm", justify="right", no_wrap=True)
    table.add_column("update ratio (log)" if wide else "update ratio", no_wrap=True)
    table.add_column("status", no_wrap=True)
    record = report.record
    for row in rows:
        layers = record.layers[row.start : row.stop]
        summaries = [layer_summary(record, i) for i in range(row.start, row.stop)]
        grads = [float(s.get("grad_norm", math.nan)) for s in summaries]
        ratios = [float(s.get("update_ratio", math.nan)) for s in summaries]
        cells_of_row: list[RenderableType]
        if not row.collapsed:
            layer = layers[0]
            name = Text(layer.name)
            if layer.shared_with:
                name.append(f" (shared with {', '.join(layer.shared_with)})", style="dim")
            kind, params = layer.kind, fmt_count(layer.params)
            cells_of_row = [name, fmt(grads[0]), _ratio_cell(ratios[0], g, cells), _status_text(row.status)]
        else:
            kinds = sorted({layer.kind for layer in layers})
            kind = kinds[0] if len(kinds) == 1 else f"{len(kinds)} kinds"
            params = fmt_count(sum(layer.params for layer in layers))
            cells_of_row = [
                _row_label(report, row, g),
                "~" + fmt(_median(grads)),
                _ratio_cell(_median(ratios), g, cells, approx=True),
                _status_text(row.status, "mixed" if row.mixed else None),
            ]
        if not narrow:
            cells_of_row[1:1] = [kind, params]
        table.add_row(str(row.start), *cells_of_row)
    return table


# ---------------------------------------------------------------- findings


def layer_groups(report: Report, names: Sequence[str], g: Glyphs) -> str:
    """Layer names as model-order runs: "blocks.0.fc1 … blocks.3.fc2, head (9)"."""
    index = {layer.name: i for i, layer in enumerate(report.record.layers)}
    known = sorted({index[n] for n in names if n in index})
    groups: list[str] = []
    start = 0
    for k in range(1, len(known) + 1):
        if k == len(known) or known[k] != known[k - 1] + 1:
            first, last = report.record.layers[known[start]].name, report.record.layers[known[k - 1]].name
            groups.append(first if k - 1 == start else f"{first} {g.ellipsis} {last}")
            start = k
    # Names outside the table (activation modules own no parameters) have no order to run by.
    groups.extend(n for n in names if n not in index)
    text = ", ".join(groups[:MAX_LAYER_GROUPS])
    if len(groups) > MAX_LAYER_GROUPS:
        text += f", {g.ellipsis}, {groups[-1]}" if len(groups) > MAX_LAYER_GROUPS + 1 else f", {groups[-1]}"
    return f"{text} ({len(names)})" if len(names) > 1 else text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: Any, g: Glyphs) -> str:
    """Evidence of any shape in a few characters: figures, per-layer mappings, lists."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return fmt(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
        if len(items) > 3 and all(_is_number(v) for _, v in items):
            finite = [(k, float(v)) for k, v in items if math.isfinite(v)] or [(k, float(v)) for k, v in items]
            low, high = min(finite, key=lambda kv: kv[1]), max(finite, key=lambda kv: kv[1])
            return f"{fmt(low[1])} ({low[0]}) {g.ellipsis} {fmt(high[1])} ({high[0]}) over {len(items)}"
        return ", ".join(f"{k} {_value(v, g)}" for k, v in items)
    if isinstance(value, list | tuple):
        if len(value) > 4:
            shown = f"{_value(value[0], g)}, {_value(value[1], g)}, {g.ellipsis}, {_value(value[-1], g)}"
            return f"[{shown}] ({len(value)})"
        return "[" + ", ".join(_value(v, g) for v in value) + "]"
    return str(value)


def _finding(report: Report, f: Finding, g: Glyphs) -> list[Line]:
    head = Text()
    head.append(f.code, style="bold")
    head.append(f" {f.rule} ")
    head.append(f.severity.value, style=SEVERITY_STYLES[f.severity])
    if f.layers:
        head.append(f" {g.dot} {layer_groups(report, f.layers, g)}")
    lines = [Line(head), Line(_indent(Text(f.message)))]
    if f.evidence:
        evidence = "; ".join(f"{k} {_value(v, g)}" for k, v in f.evidence.items())
        lines.append(Line(_indent(Text(f"evidence: {evidence}", style="dim"))))
    if f.fix:
        lines.append(Line(_indent(Text(f"fix: {f.fix}", style="green"))))
    return lines


# ---------------------------------------------------------------- recommendations


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
        elif key.endswith("fraction") and _is_number(value):
            parts.append(f"{key} {float(value):.0%}")  # type: ignore[arg-type]
        else:
            parts.append(f"{key} {_value(value, g)}")
    return f" {g.dot} ".join(parts)


def _recommendation(report: Report, number: int, r: Recommendation, g: Glyphs) -> list[Line]:
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
        lines.append(Line(_indent(Text(_numbers(report, r.numbers, g)))))
    if r.how:
        lines.append(Line(_indent(Text(f"how: {r.how}", style="dim"))))
    return lines


# ---------------------------------------------------------------- assembly


def _sections(report: Report, g: Glyphs) -> tuple[list[Line], list[Line]]:
    """Everything but the table: what goes above it and what goes below it."""
    above = [*_header(report, g), Line(verdict_line(report, g))]
    below: list[Line] = []
    if report.findings:
        below.append(Line(Text(f"findings ({len(report.findings)})", style="bold underline")))
        for f in report.findings:
            below.extend(_finding(report, f, g))
    if report.recommendations:
        below.append(Line(Text(f"what to change ({len(report.recommendations)})", style="bold underline")))
        for number, r in enumerate(report.recommendations, 1):
            below.extend(_recommendation(report, number, r, g))
    below.extend(Line(Text(f"note: {note}", style="dim")) for note in report.notes)
    return above, below


def _height(console: Console, lines: Iterable[Line]) -> int:
    """Terminal rows the lines take at this console's width."""
    total = 0
    for line in lines:
        if line.soft and isinstance(line.renderable, Text):
            total += max(1, math.ceil(line.renderable.cell_len / console.width))
        else:
            total += len(console.render_lines(line.renderable, console.options, pad=False))
    return total


def report_lines(report: Report, console: Console, screen_lines: int = SCREEN_LINES) -> list[Line]:
    """The report, its table shrunk until the whole fits in screen_lines rows of this console."""
    g = glyphs_for(console)
    above, below = _sections(report, g)
    others = _height(console, above) + _height(console, below)
    rows = plan_rows(report.statuses, max(MIN_TABLE_ROWS, screen_lines - others - TABLE_CHROME))
    table = Line(layer_table(report, rows, g, console.width))
    # Folded names and wrapped range labels take more than one line per row:
    # measure, then give the table fewer rows until the report fits. Each pass
    # has strictly fewer rows, so this ends.
    while len(rows) > MIN_TABLE_ROWS:
        excess = others + _height(console, [table]) - screen_lines
        if excess <= 0:
            break
        rows = plan_rows(report.statuses, max(MIN_TABLE_ROWS, len(rows) - excess))
        table = Line(layer_table(report, rows, g, console.width))
    return [*above, table, *below]


def print_report(report: Report, *, quiet: bool = False, console: Console | None = None) -> None:
    """Print the report; quiet prints only the verdict line."""
    console = console or Console()
    if quiet:
        console.print(verdict_line(report, glyphs_for(console)), soft_wrap=True)
        return
    for line in report_lines(report, console):
        console.print(line.renderable, soft_wrap=line.soft)


def print_rules(console: Console | None = None) -> None:
    """The rule registry as a table: code, name, severity, what it looks for."""
    from gradscope.diagnosis import RULES

    console = console or Console()
    table = Table("code", "name", "severity", "description", box=box.SIMPLE_HEAD, header_style="bold")
    for r in sorted(RULES, key=lambda r: r.code):
        table.add_row(r.code, r.name, Text(r.severity.value, style=SEVERITY_STYLES[r.severity]), r.description)
    console.print(table)
