"""The typographic characters of the terminal report, with ASCII stand-ins, and its lines.

A report is a list of Lines; each knows whether it may wrap (code to paste may
not). Indented wraps text under a two-space indent without rich's trailing pad.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text


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


def indent(text: Text) -> Indented:
    return Indented(text)


def height(console: Console, lines: Iterable[Line]) -> int:
    """Terminal rows the lines take at this console's width."""
    total = 0
    for line in lines:
        if line.soft and isinstance(line.renderable, Text):
            total += max(1, math.ceil(line.renderable.cell_len / console.width))
        else:
            total += len(console.render_lines(line.renderable, console.options, pad=False))
    return total
