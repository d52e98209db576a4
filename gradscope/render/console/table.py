"""The layer table: one row per layer, or per run of layers merged to fit, in model order."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from gradscope.data.records import LayerStatus, Report
from gradscope.data.summary import LayerFigures, finite_median
from gradscope.render.console.glyphs import Glyphs
from gradscope.render.console.names import name_range
from gradscope.render.console.rows import Row
from gradscope.render.console.style import HEALTHY_BAND, STATUS_COLORS, fmt, fmt_count

# The update-ratio bar spans 1e-10 .. 1; narrow terminals get half the cells.
BAR_DECADES = 10
# Terminal widths at which the table gives up the params column, then kind.
WIDE = 96
NARROW = 72


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
