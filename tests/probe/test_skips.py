"""Counting the optimizer steps a GradScaler skipped (skips.py)."""

from __future__ import annotations

import torch

from gradscope.probe.skips import Skips


def test_no_scaler_counts_nothing() -> None:
    skips = Skips()
    skips.start()
    assert skips.since_last() == 0
    skips.finish()
    assert skips.count == 0


def test_a_drop_in_scale_is_counted_as_skips() -> None:
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    scaler.scale(torch.tensor(1.0))  # makes the scale tensor
    skips = Skips(scaler)
    skips.start()
    scaler.update(new_scale=2.0**8)  # two back-offs of 0.5: two skipped steps
    assert skips.since_last() == 2
    assert skips.since_last() == 0
    assert skips.count == 2


def test_a_fused_optimizers_skips_are_summed_on_the_device_and_counted_at_the_end() -> None:
    skips = Skips()
    for found in (0.0, 1.0, 1.0, 0.0):
        skips.add_fused(torch.tensor(found))
    assert skips.count == 0
    skips.finish()
    assert skips.count == 2
