"""Which layers get a row of their own in the terminal table, and which share one.

A 600-layer model cannot be listed layer by layer on one screen, but a reader
must still see every problem. `plan_rows` merges consecutive layers into one
row, least informative first, until the table fits:

1. runs of healthy layers,
2. runs of frozen layers (a set-up choice, not a fault),
3. runs of layers with the same problem status, named by their first and last,
4. only if that is still too long, neighbouring rows of mixed statuses, the
   smallest first, so every row still names the range it covers.

A long run is only shortened in its middle as far as needed, so its first and
last layers usually keep rows of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gradscope.data.records import LayerStatus
from gradscope.render.console.style import status_rank


@dataclass(frozen=True)
class Row:
    """Layers start..stop-1 in model order, shown as one table row."""

    start: int
    stop: int
    statuses: tuple[LayerStatus, ...]

    @property
    def size(self) -> int:
        return self.stop - self.start

    @property
    def collapsed(self) -> bool:
        return self.size > 1

    @property
    def status(self) -> LayerStatus:
        """The most serious status in the row."""
        return min(self.statuses, key=status_rank)

    @property
    def mixed(self) -> bool:
        return len(set(self.statuses)) > 1

    def counts(self) -> list[tuple[LayerStatus, int]]:
        """Statuses in the row with their counts, most serious first."""
        present = sorted(set(self.statuses), key=status_rank)
        return [(s, self.statuses.count(s)) for s in present]


def runs(statuses: Sequence[LayerStatus]) -> list[tuple[int, int]]:
    """Maximal runs [start, stop) of layers of one status, in model order."""
    found: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(statuses) + 1):
        if i == len(statuses) or statuses[i] != statuses[start]:
            found.append((start, i))
            start = i
    return found


def _collapse_runs(
    statuses: Sequence[LayerStatus],
    merged: list[tuple[int, int]],
    wanted: set[LayerStatus],
    excess: int,
) -> int:
    """Merge runs whose status is in `wanted`, longest first; returns the rows still to save."""
    candidates = [(start, stop) for start, stop in runs(statuses) if statuses[start] in wanted and stop - start >= 2]
    candidates.sort(key=lambda r: (-(r[1] - r[0]), r[0]))
    for start, stop in candidates:
        if excess <= 0:
            break
        size = stop - start
        if size - 1 <= excess:
            merged.append((start, stop))
            excess -= size - 1
        else:
            # Only the middle: the run's ends keep their own rows as context.
            middle = excess + 1
            first = start + (size - middle) // 2
            merged.append((first, first + middle))
            excess = 0
    return excess


def plan_rows(statuses: Sequence[LayerStatus], max_rows: int, *, merge_flagged: bool = True) -> list[Row]:
    """Rows covering every layer once, in model order, at most max(max_rows, 1) of them.

    With merge_flagged=False only healthy runs merge, so there may be more rows
    than max_rows: what is left is the fewest rows that name every layer with a problem.
    """
    n = len(statuses)
    max_rows = max(max_rows, 1)
    excess = n - max_rows
    merged: list[tuple[int, int]] = []
    if excess > 0:
        flagged = set(LayerStatus) - {LayerStatus.HEALTHY, LayerStatus.FROZEN}
        phases = ({LayerStatus.HEALTHY}, {LayerStatus.FROZEN}, flagged) if merge_flagged else ({LayerStatus.HEALTHY},)
        for wanted in phases:
            excess = _collapse_runs(statuses, merged, wanted, excess)
    spans: list[tuple[int, int]] = []
    merged.sort()
    i = 0
    for start, stop in merged:
        spans.extend((j, j + 1) for j in range(i, start))
        spans.append((start, stop))
        i = stop
    spans.extend((j, j + 1) for j in range(i, n))
    while merge_flagged and len(spans) > max_rows:
        # Mixed rows hide the most, so make them as small as possible.
        k = min(range(len(spans) - 1), key=lambda j: (spans[j + 1][1] - spans[j][0], j))
        spans[k : k + 2] = [(spans[k][0], spans[k + 1][1])]
    return [Row(start, stop, tuple(statuses[start:stop])) for start, stop in spans]
