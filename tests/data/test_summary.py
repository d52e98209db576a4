"""One median rule for every reader: the JSON, the terminal table, the plots and the rules' facts."""

from __future__ import annotations

import math

from render_helpers import S, make_report

from gradscope.data.codec import layer_summary
from gradscope.data.summary import LayerFigures, finite_median
from gradscope.diagnosis import build_facts


def test_the_median_skips_non_finite_values() -> None:
    assert finite_median([1.0, math.nan, 3.0, math.inf, 2.0]) == 2.0
    assert math.isnan(finite_median([]))


def test_with_no_finite_value_the_last_stands_for_all() -> None:
    assert math.isnan(finite_median([math.inf, math.nan]))
    assert finite_median([math.nan, -math.inf]) == -math.inf


def test_the_table_the_plots_the_json_and_the_facts_read_the_same_medians() -> None:
    record = make_report([S.HEALTHY, S.VANISHING, S.NONFINITE, S.FROZEN, S.EXPLODING], steps=5).record
    figures = LayerFigures.of(record)
    facts = build_facts(record)
    for i in range(len(record.layers)):
        summary = layer_summary(record, i)
        same = [
            (figures.grad_norm[i], summary["grad_norm"]),
            (figures.weight_norm[i], summary["weight_norm"]),
            (figures.update_ratio[i], summary["update_ratio"]),
            (figures.weight_norm[i], facts.layers[i].weight_norm),
            (figures.update_ratio[i], facts.layers[i].update_ratio),
        ]
        for ours, theirs in same:
            assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (i, ours, theirs)
