"""Evidence and numbers of any shape in a few characters: figures, per-layer mappings, lists."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gradscope.render.console.glyphs import Glyphs
from gradscope.render.console.style import fmt


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def value_text(value: Any, g: Glyphs) -> str:
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
        if len(items) > 2 and all(is_number(v) for _, v in items):
            pairs = [(k, float(v)) for k, v in items]
            finite = [kv for kv in pairs if math.isfinite(kv[1])] or pairs
            low, high = min(finite, key=lambda kv: kv[1]), max(finite, key=lambda kv: kv[1])
            return f"{fmt(low[1])} ({low[0]}) {g.ellipsis} {fmt(high[1])} ({high[0]}) over {len(items)}"
        return ", ".join(f"{k} {value_text(v, g)}" for k, v in items)
    if isinstance(value, list | tuple):
        if len(value) > 4:
            shown = f"{value_text(value[0], g)}, {value_text(value[1], g)}, {g.ellipsis}, {value_text(value[-1], g)}"
            return f"[{shown}] ({len(value)})"
        return "[" + ", ".join(value_text(v, g) for v in value) + "]"
    return str(value)
