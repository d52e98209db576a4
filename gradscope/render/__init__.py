"""Renderers: each takes the one Report and writes one artifact."""

from __future__ import annotations

from pathlib import Path

from gradscope.types import Report


def write_outputs(
    report: Report, *, json_path: Path | None = None, csv_path: Path | None = None, plots: Path | None = None
) -> None:
    """Write whichever artifacts were asked for; each is written whole or not at all."""
    if json_path is not None:
        from gradscope import records

        records.save(report, json_path)
    if csv_path is not None:
        from gradscope.render.table import write_table

        write_table(report, csv_path)
    if plots is not None:
        from gradscope.render.plots import write_plots

        write_plots(report, plots)
