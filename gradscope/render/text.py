"""The terminal report as plain text: what `gradscope diagnose` prints, without colour.

`print(report)` shows this text (gradscope/__init__.py hands it to Report), and
the text format writes it to a file, for a CI log or a diff between two runs.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from gradscope.data.records import Report
from gradscope.render import Renderer
from gradscope.render.files import write_atomic
from gradscope.render.terminal import print_report


def render_text(report: Report, width: int = 100) -> str:
    """The report as plain text (no colour), laid out for a terminal `width` columns wide."""
    console = Console(width=width, no_color=True, force_terminal=False, record=True, file=io.StringIO())
    print_report(report, console=console)
    return console.export_text()


def write(report: Report, path: Path) -> list[Path]:
    write_atomic(path, render_text(report))
    return [Path(path)]


RENDERER = Renderer(name="text", suffixes=(".txt",), write=write)
