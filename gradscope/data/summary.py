"""A layer's figures over a run, summarised one way for every reader.

The JSON's per-layer figures, the terminal table, the gradient-flow plot and
the facts the rules judge by all show a layer's median over the steps. They
call these functions, so a layer never reads one figure in the table and
another in the report. Plain Python: the terminal report must not pay for numpy.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from gradscope.data.records import RunRecord


def finite_median(values: Sequence[float]) -> float:
    """The median of the finite values; NaN when there are no values.

    When none is finite the last value stands for them all: the state the run
    ended in (a gradient that overflowed to Inf, then spread NaN, reads NaN).
    """
    finite = [v for v in values if math.isfinite(v)]
    if finite:
        return statistics.median(finite)
    return values[-1] if values else math.nan


@dataclass(frozen=True)
class LayerFigures:
    """Each layer's median figures over the run, in model order: what the table and the plots show."""

    grad_norm: tuple[float, ...]
    weight_norm: tuple[float, ...]
    update_ratio: tuple[float, ...]

    @classmethod
    def of(cls, record: RunRecord) -> LayerFigures:
        steps = record.steps
        n = len(record.layers)
        return cls(
            _per_layer([s.grad_norm for s in steps], n),
            _per_layer([s.weight_norm for s in steps], n),
            _per_layer([s.update_ratio for s in steps], n),
        )


def _per_layer(rows: Sequence[Sequence[float]], n: int) -> tuple[float, ...]:
    """The finite median of each of the n columns of per-step rows."""
    # Rows, not RunRecord.column: a step's update ratios are then computed once, not once
    # per layer (600 layers: 600x the work).
    return tuple(finite_median([float(row[i]) for row in rows]) for i in range(n))


# Learning rates over the measured steps further apart than this share came from a schedule.
SCHEDULE_SPREAD = 0.01


def lr_schedule(record: RunRecord) -> tuple[float, float] | None:
    """The lowest and highest learning rate of the first param group (the one the report's
    numbers speak of) over the measured steps, when a scheduler moved it (warm-up, decay);
    None for a constant rate."""
    rates = [s.lr[0] for s in record.steps if s.lr and math.isfinite(s.lr[0])]
    if not rates or max(rates) <= min(rates) * (1 + SCHEDULE_SPREAD):
        return None
    return min(rates), max(rates)
