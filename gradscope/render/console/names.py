"""Layer names in little room: a run of layers by its ends, a list of layers as runs."""

from __future__ import annotations

from collections.abc import Sequence

from gradscope.data.records import Report
from gradscope.render.console.glyphs import Glyphs

# Findings name at most this many runs of layers; the table shows them all.
MAX_LAYER_GROUPS = 4


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
