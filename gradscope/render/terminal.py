"""The terminal report: what is wrong, where, and what to change, on one screen.

Layout, top to bottom: a header (script, model size, device, optimizer, steps,
seed, wall time), the verdict in one coloured line, the per-layer table in
model order, the findings with their evidence and fix, the recommendations as
code to paste with their verification, and the notes.

The whole report aims at SCREEN_LINES lines: the layer table gets whatever the
other sections leave. A model that does not fit gives way in this order (see
`report_lines` and rows.py): runs of healthy layers merge into one row, those
rows drop the names of their ends (the neighbouring rows name them), and only
then do runs of layers with the same problem merge, named by their ends.
Every layer is always either on its own row or counted in a merged one.

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

from gradscope.data.records import Finding, LayerStatus, Recommendation, Report, Severity, Verdict, Verified
from gradscope.data.summary import LayerFigures, finite_median, lr_schedule
from gradscope.render.console.rows import Row, plan_rows
from gradscope.render.console.style import (
    HEALTHY_BAND,
    SEVERITY_STYLES,
    STATUS_COLORS,
    VERDICT_MEANINGS,
    VERDICT_STYLES,
    fmt,
    fmt_count,
    fmt_lr,
    status_rank,
)

SCREEN_LINES = 50
# Fewer rows would say too little about a big model; a report that cannot fit
# with this many runs past SCREEN_LINES instead.
MIN_TABLE_ROWS = 12
# Table header and its rule (box.SIMPLE_HEAD without the outer edge).
TABLE_CHROME = 2
# The update-ratio bar spans 1e-10 .. 1; narrow terminals get half the cells.
BAR_DECADES = 10
# Terminal widths at which the table gives up the params column, then kind.
WIDE = 96
NARROW = 72
# Findings name at most this many runs of layers; the table shows them all.
MAX_LAYER_GROUPS = 4


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
ASCII = Glyphs("...", "->", "|", ".:-=+*%#", "ok", "x")


def glyphs_for(console: Console) -> Glyphs:
    """Unicode where the output can encode it (rich itself swaps the table box the same way)."""
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
    rate = f"{run.optimizer} lr {fmt_lr(run.lr)}"
    scheduled = lr_schedule(report.record)
    if scheduled is not None:
        rate += f" (scheduled: {scheduled[0]:.3g} to {scheduled[1]:.3g})"
    details = [
        f"{run.device} {run.dtype}",
        rate,
        steps,
        "no seed" if run.seed is None else f"seed {run.seed}",
        f"{run.wall_s:.1f} s",
    ]
    lines = [Line(title), Line(Text(f" {g.dot} ".join(details), style="dim"))]
    if run.partial:
        lines.append(
            Line(
                Text(f"partial: stopped while {run.cut or 'running'}; judged on what was measured", style="bold yellow")
            )
        )
    caveats = []
    if run.default_optimizer:
        default = f"{run.optimizer}(lr={fmt_lr(run.lr)})"
        caveats.append(f"the script defines no optimizer, so the default {default} ran")
    if run.skipped_steps:
        caveats.append(f"{run.skipped_steps} step(s) skipped")
    if run.loss_source == "none" and not any(n.startswith("no loss was recorded") for n in report.notes):
        caveats.append("no loss was recorded")  # unless a note below says so, with what it costs
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
    ranked = sorted(flagged.items(), key=lambda item: status_rank(item[0]))
    if len(ranked) == 1:
        parts.append(f"{ranked[0][1]}/{total} layers {ranked[0][0].value}")
    elif ranked:
        detail = ", ".join(f"{n} {s.value}" for s, n in ranked)
        parts.append(f"{sum(flagged.values())}/{total} layers flagged: {detail}")
    if report.verdict is Verdict.HEALTHY:
        # The verdict already names the problem; a healthy run's findings are what is left to say.
        counts = [
            (sev, sum(1 for f in report.findings if f.severity is sev and f.withdrawn is None)) for sev in Severity
        ]
        found = [f"{n} {sev.value}{'s' if n > 1 else ''}" for sev, n in sorted(counts, key=_most_severe) if n]
        parts.append(", ".join(found) or "no findings")
    return Text(f" {g.dot} ".join(parts), style=VERDICT_STYLES[report.verdict])


def _most_severe(count: tuple[Severity, int]) -> int:
    return -count[0].rank


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


def _ratio_cell(value: float | None, g: Glyphs, cells: int) -> Text:
    if value is None:  # no step was recorded: nothing to draw, which is not NaN
        return Text("-".rjust(8) + " " * (cells + 1))
    cell = Text(fmt(value).rjust(8) + " ")
    cell.append_text(ratio_bar(value, g, cells))
    return cell


def _status_text(status: LayerStatus, label: str | None = None) -> Text:
    bold = "" if status in (LayerStatus.HEALTHY, LayerStatus.FROZEN) else "bold "
    return Text(label or status.value, style=f"{bold}{STATUS_COLORS[status]}")


def name_range(first: str, last: str, g: Glyphs) -> str:
    """first … last, their shared dotted prefix written once: "blocks.{3.fc1 … 15.norm}"."""
    a, b = first.split("."), last.split(".")
    shared = 0
    while shared < min(len(a), len(b)) - 1 and a[shared] == b[shared]:
        shared += 1
    if shared == 0:
        return f"{first} {g.ellipsis} {last}"
    prefix = ".".join(a[:shared])
    return f"{prefix}.{{{'.'.join(a[shared:])} {g.ellipsis} {'.'.join(b[shared:])}}}"


def _row_label(report: Report, row: Row, g: Glyphs, compact: bool) -> Text:
    layers = report.record.layers
    span = name_range(layers[row.start].name, layers[row.stop - 1].name, g)
    if not row.mixed and row.status is LayerStatus.HEALTHY:
        # Compact: the rows above and below name the neighbours; the indices say the rest.
        where = f"#{row.start}-{row.stop - 1}" if compact else f"({span})"
        return Text(f"{g.ellipsis} {row.size} healthy layers {where}", style="dim")
    if not row.mixed:
        return Text(f"{row.size} {row.status.value} layers ({span})", style=STATUS_COLORS[row.status])
    counts = ", ".join(f"{n} {s.value}" for s, n in row.counts())
    return Text(f"{row.size} layers: {counts} ({span})", style=STATUS_COLORS[row.status])


def layer_table(
    report: Report,
    rows: Sequence[Row],
    g: Glyphs,
    *,
    width: int = 100,
    compact: bool = False,
    figures: LayerFigures | None = None,
) -> Table:
    """One row per layer, or per run of layers that `rows` merged, in model order."""
    figures = figures or LayerFigures.of(report.record)
    wide, narrow = width >= WIDE, width < NARROW
    cells = BAR_DECADES if wide else BAR_DECADES // 2
    # The box's column divider is a space; no padding besides, to leave the names room.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    # Names fold rather than truncate: two layers must never look alike.
    table.add_column("layer", overflow="fold", min_width=16)
    # Narrower terminals give up the parameter count, then the kind: names,
    # figures and status are what the table is for.
    if not narrow:
        table.add_column("kind", overflow="ellipsis", no_wrap=True, max_width=12 if wide else 10)
    if wide:
        table.add_column("params", justify="right", no_wrap=True)
    table.add_column("grad norm", justify="right", no_wrap=True)
    table.add_column("update ratio (log)" if wide else "update ratio", no_wrap=True)
    table.add_column("status", no_wrap=True)
    record = report.record
    for row in rows:
        layers = record.layers[row.start : row.stop]
        grads = figures.grad_norm[row.start : row.stop]
        ratios = figures.update_ratio[row.start : row.stop]
        grad, ratio = (finite_median(grads), finite_median(ratios)) if record.steps else (None, None)
        cells_of_row: list[RenderableType]
        if not row.collapsed:
            layer = layers[0]
            name = Text(layer.name)
            if layer.shared_with:
                name.append(f" (shared with {', '.join(layer.shared_with)})", style="dim")
            kind, params = layer.kind, fmt_count(layer.params)
            cells_of_row = [name, fmt(grad), _ratio_cell(ratio, g, cells), _status_text(row.status)]
        else:
            kinds = sorted({layer.kind for layer in layers})
            kind = kinds[0] if len(kinds) == 1 else f"{len(kinds)} kinds"
            params = fmt_count(sum(layer.params for layer in layers))
            cells_of_row = [
                _row_label(report, row, g, compact),
                fmt(grad),
                _ratio_cell(ratio, g, cells),
                _status_text(row.status, "mixed" if row.mixed else None),
            ]
        cells_of_row[1:1] = ([kind] if not narrow else []) + ([params] if wide else [])
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
            groups.append(first if k - 1 == start else name_range(first, last, g))
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
        if len(items) > 2 and all(_is_number(v) for _, v in items):
            pairs = [(k, float(v)) for k, v in items]
            finite = [kv for kv in pairs if math.isfinite(kv[1])] or pairs
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


def _set_aside(f: Finding) -> list[Line]:
    """A withdrawn finding: what was seen and why it does not set the verdict."""
    head = Text(style="dim")
    head.append(f"{f.code} {f.rule}")
    head.append(f": {f.message}")
    return [Line(head), Line(_indent(Text(f"withdrawn: {f.withdrawn}", style="dim")))]


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
    standing = [f for f in report.findings if f.withdrawn is None]
    aside = [f for f in report.findings if f.withdrawn is not None]
    if standing:
        below.append(Line(Text(f"findings ({len(standing)})", style="bold underline")))
        for f in standing:
            below.extend(_finding(report, f, g))
    if aside:
        below.append(Line(Text(f"set aside ({len(aside)})", style="bold underline")))
        for f in aside:
            below.extend(_set_aside(f))
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
    room = screen_lines - others
    figures = LayerFigures.of(report.record)
    # A row takes at least one line, so more rows than this cannot fit.
    most = max(1, min(len(report.statuses), room - TABLE_CHROME))

    def attempt(budget: int, compact: bool) -> tuple[Line, bool]:
        rows = plan_rows(report.statuses, budget)
        table = Line(layer_table(report, rows, g, width=console.width, compact=compact, figures=figures))
        return table, _height(console, [table]) <= room

    def largest(low: int, high: int, compact: bool, best: Line) -> Line:
        """The table with the most rows in [low, high] that fits; `best`, with `low` rows, fits."""
        while low < high:
            mid = (low + high + 1) // 2
            table, fits = attempt(mid, compact)
            if fits:
                low, best = mid, table
            else:
                high = mid - 1
        return best

    # Folded names and wrapped labels take more than one line per row, so
    # measure and give way step by step until the report fits: fewer healthy
    # rows, then shorter labels on merged healthy rows, then (only with very
    # many problem layers) merged runs of problem layers, named by their ends.
    if len(report.statuses) <= most:
        table, fits = attempt(len(report.statuses), False)
        if fits:
            return [*above, table, *below]
    essential = len(plan_rows(report.statuses, 0, merge_flagged=False))
    for compact in (False, True):
        if essential <= most:
            table, fits = attempt(essential, compact)
            if fits:
                return [*above, largest(essential, most, compact, table), *below]
    table, fits = attempt(MIN_TABLE_ROWS, True)
    if fits:
        table = largest(MIN_TABLE_ROWS, max(MIN_TABLE_ROWS, min(essential, most)), True, table)
    return [*above, table, *below]


def print_report(report: Report, *, quiet: bool = False, console: Console | None = None) -> None:
    """Print the report; quiet prints only the verdict line."""
    console = console or Console()
    if quiet:
        console.print(verdict_line(report, glyphs_for(console)), soft_wrap=True)
        return
    for line in report_lines(report, console):
        console.print(line.renderable, soft_wrap=line.soft)
