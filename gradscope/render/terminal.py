"""The terminal report: what is wrong, where, and what to change, on one screen.

Layout, top to bottom: a header (script, model size, device, optimizer, steps,
seed, wall time), the verdict in one coloured line, the per-layer table in
model order, the findings with their evidence and fix, the recommendations as
code to paste with their verification, and the notes.

The whole report aims at SCREEN_LINES lines: the layer table gets whatever the
other sections leave. A model that does not fit gives way in this order (see
`report_lines` and console/rows.py): runs of healthy layers merge into one row,
those rows drop the names of their ends (the neighbouring rows name them), and
only then do runs of layers with the same problem merge, named by their ends.
Every layer is always either on its own row or counted in a merged one.

This module assembles the report and fits it to the screen; the blocks it is
made of (verdict, layer table, findings, recommendations) are drawn by the
modules of render/console/.

Only rich is imported here (no pandas, matplotlib or torch), so `gradscope
render` of a saved run starts fast and works where torch is not installed.
Colour comes from rich's Console, which already turns itself off for NO_COLOR,
TERM=dumb and output that is not a terminal; nothing here forces it on.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from gradscope.data.notes import NoteCode
from gradscope.data.rates import headline
from gradscope.data.records import Report
from gradscope.data.summary import LayerFigures, lr_schedule
from gradscope.render.console.findings import finding_lines, set_aside_lines
from gradscope.render.console.glyphs import Glyphs, Line, glyphs_for, height
from gradscope.render.console.recommendations import recommendation_lines
from gradscope.render.console.rows import plan_rows
from gradscope.render.console.style import fmt_lr
from gradscope.render.console.table import layer_table
from gradscope.render.console.verdict import verdict_line

SCREEN_LINES = 50
# Fewer rows would say too little about a big model; a report that cannot fit
# with this many runs past SCREEN_LINES instead.
MIN_TABLE_ROWS = 12
# Table header and its rule (box.SIMPLE_HEAD without the outer edge).
TABLE_CHROME = 2


# ---------------------------------------------------------------- header


def precision_line(report: Report) -> str:
    """The precision the steps ran in and, under a GradScaler, its scale over the run and the
    share of steps it skipped; empty for a run that said neither (every float32 report)."""
    run = report.record.run
    parts = [f"precision {run.precision}"] if run.precision else []
    if run.loss_scales:
        scales = run.loss_scales
        iterations = max(run.scaler_iterations, run.steps + run.skipped_steps)
        share = run.skipped_steps / iterations if iterations else 0.0
        parts.append(
            f"loss scale {scales[0]:.3g} -> {scales[-1]:.3g} (min {min(scales):.3g}), "
            f"{run.skipped_steps} of {iterations} steps skipped ({share:.0%})"
        )
    return " · ".join(parts)


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
    shown = fmt_lr(run.lr)
    scheduled = lr_schedule(report.record)
    if scheduled is not None and run.lr_kind.relative:  # Adafactor's own warm-up (warmup_init)
        shown, scheduled = f"{scheduled[0]:.3g} to {scheduled[1]:.3g}", None
    rate = f"{run.optimizer} {headline(run.lr_kind, shown)}"
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
    precision = precision_line(report)
    if precision:
        lines.append(Line(Text(precision, style="dim")))
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
    # Unless a note below says so, with what it costs (a saved report's notes were worded when it was written).
    said = {n.code for n in report.notes} & {NoteCode.NO_LOSS, NoteCode.SAID}
    if run.loss_source == "none" and not said:
        caveats.append("no loss was recorded")  # unless a note below says so, with what it costs
    if caveats:
        lines.append(Line(Text("note: " + "; ".join(caveats), style="yellow")))
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
            below.extend(finding_lines(report, f, g))
    if aside:
        below.append(Line(Text(f"set aside ({len(aside)})", style="bold underline")))
        for f in aside:
            below.extend(set_aside_lines(f))
    if report.recommendations:
        below.append(Line(Text(f"what to change ({len(report.recommendations)})", style="bold underline")))
        for number, r in enumerate(report.recommendations, 1):
            below.extend(recommendation_lines(report, number, r, g))
    below.extend(Line(Text(f"note: {note}", style="dim")) for note in report.said())
    return above, below


def report_lines(report: Report, console: Console, screen_lines: int = SCREEN_LINES) -> list[Line]:
    """The report, its table shrunk until the whole fits in screen_lines rows of this console."""
    g = glyphs_for(console)
    above, below = _sections(report, g)
    others = height(console, above) + height(console, below)
    room = screen_lines - others
    figures = LayerFigures.of(report.record)
    # A row takes at least one line, so more rows than this cannot fit.
    most = max(1, min(len(report.statuses), room - TABLE_CHROME))

    def attempt(budget: int, compact: bool) -> tuple[Line, bool]:
        rows = plan_rows(report.statuses, budget)
        table = Line(layer_table(report, rows, g, width=console.width, compact=compact, figures=figures))
        return table, height(console, [table]) <= room

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
