"""replay.Bar: the one test every replay is judged by, whichever remedy asked for it."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradscope.advice.replay import IMPROVEMENT, Bar

MEASURED = (2.0, 1.9, 1.8, 1.7, 1.6, 1.5)  # ends at a mean of 1.6 over the last three steps


def test_the_usual_bar_asks_for_a_loss_clearly_under_the_measured_runs() -> None:
    assert Bar().met(MEASURED, (2.0, 1.5, 1.3, 1.2, 1.1, 1.0))
    nudged = tuple(v * (1 - IMPROVEMENT / 2) for v in MEASURED)  # 1% lower: noise, not a cure
    assert not Bar().met(MEASURED, nudged)
    assert not Bar().met(MEASURED, (2.0, 1.0, math.nan, math.nan, math.nan, math.nan))


def test_a_finding_that_rests_on_its_replay_asks_for_a_larger_gain() -> None:
    three_percent = tuple(v * 0.97 for v in MEASURED)
    assert Bar().met(MEASURED, three_percent)
    assert not Bar(gain=0.05).met(MEASURED, three_percent)
    assert Bar(gain=0.05).met(MEASURED, tuple(v * 0.9 for v in MEASURED))


def test_any_finite_end_beats_a_measured_run_that_went_nan() -> None:
    assert Bar().met((2.0, 5.0, math.nan), (2.0, 1.9, 1.8))


def test_a_calmer_curve_that_ends_no_higher_counts_for_a_spike() -> None:
    spiked = (1.4, 1340.0, 80.0, 9.0, 3.0, 1.9, 1.6, 1.5, 1.45, 1.41)
    calm_replay = (1.4, 1.5, 1.5, 1.49, 1.48, 1.47, 1.46, 1.5, 1.45, 1.41)  # ends where it did

    def under_spike(curve: Sequence[float]) -> bool:
        return max(curve[1:]) < 2.0 * curve[0]

    assert not Bar().met(spiked, calm_replay)  # the same end: no gain on the level
    assert Bar(calm=under_spike).met(spiked, calm_replay)
    assert not Bar(calm=under_spike).met(spiked, tuple(v + 0.2 for v in calm_replay))  # calmer but higher


def test_a_rounding_fix_counts_when_its_loss_fell_several_times_as_far() -> None:
    crawl = (4.77, 4.76, 4.76, 4.75, 4.75, 4.75)  # the measured bf16 run: its updates rounded away
    took_them = (4.77, 4.74, 4.72, 4.70, 4.69, 4.68)  # 1.3% lower: under the usual bar
    assert not Bar().met(crawl, took_them)
    assert Bar(fell_further=2.0).met(crawl, took_them)
    assert not Bar(fell_further=2.0).met(crawl, (4.77, 4.76, 4.75, 4.75, 4.74, 4.745))  # fell about as far
