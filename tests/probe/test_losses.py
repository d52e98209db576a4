"""Which step a handed-over loss belongs to (losses.py)."""

from __future__ import annotations

import math

import torch

from gradscope.probe.losses import Losses, loss_tensor

CPU = torch.device("cpu")


def test_several_losses_for_one_step_are_averaged() -> None:
    losses = Losses(after_step=False)
    for value in (1.0, torch.tensor(2.0), torch.tensor([6.0, 9.0])):
        losses.add(value, [], last_recorded=False, recording_next=True)
    assert losses.take(CPU).tolist() == [3.0]
    assert not losses.missing


def test_no_loss_is_nan_and_marked_missing() -> None:
    losses = Losses(after_step=False)
    assert math.isnan(losses.take(CPU).item())
    assert losses.missing


def test_a_skipped_iterations_share_of_the_pending_losses_is_dropped() -> None:
    losses = Losses(after_step=False, pending=[1.0, 2.0, 3.0, 4.0])
    losses.drop_skipped(1)
    assert losses.pending == [3.0, 4.0]


def test_loss_tensor_takes_the_first_entry_in_float64() -> None:
    assert loss_tensor(torch.tensor([2.5, 1.0]), CPU).dtype == torch.float64
    assert loss_tensor(torch.tensor([2.5, 1.0]), CPU).item() == 2.5
    assert loss_tensor(4, CPU).item() == 4.0
