"""The run door's loss finder: which scalar backward() ran on is each step's loss.

Driven directly with small tensors, as the patched torch functions drive it: no script runs.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from gradscope.doors.run.losses import CLASS_LOOKS, LossFinder, classes_of

OPTIMIZER = object()  # only compared by identity
OTHER = object()


def scalar(value: float) -> torch.Tensor:
    return torch.tensor(value, requires_grad=True) * 1.0


def test_one_backward_gives_that_very_tensor_as_the_steps_loss() -> None:
    finder = LossFinder()
    loss = scalar(0.5)
    finder.backward(loss, calls=1)
    assert finder.take(OPTIMIZER) is loss  # not detached nor copied: the probe does that
    assert finder.take(OPTIMIZER) is None  # taken: nothing new for the next step of the same optimizer


def test_accumulated_micro_batches_sum_in_float64_detached() -> None:
    finder = LossFinder()
    parts = [scalar(v) / 4 for v in (1.0, 2.0, 3.0, 4.0)]  # loss / accumulation steps, as recipes do
    for n, part in enumerate(parts, 1):
        finder.backward(part, calls=n)
    loss = finder.take(OPTIMIZER)
    assert loss is not None
    assert loss.dtype == torch.float64 and not loss.requires_grad and loss.shape == ()
    # The stepped gradient is the gradient of the sum: the sum is the step's loss.
    assert loss.item() == pytest.approx(2.5)


def test_a_gradscaler_scaled_loss_counts_unscaled() -> None:
    finder = LossFinder()
    loss = scalar(0.75)
    scaled = loss * 65536.0
    finder.scaled(loss, scaled)
    finder.backward(scaled, calls=1)
    taken = finder.take(OPTIMIZER)
    assert taken is not None and taken.item() == pytest.approx(0.75)


def test_accumulated_scaled_losses_each_count_unscaled() -> None:
    finder = LossFinder()
    for n, value in enumerate((0.25, 0.5), 1):
        loss = scalar(value)
        scaled = loss * 1024.0
        finder.scaled(loss, scaled)
        finder.backward([scaled], calls=n)  # torch.autograd.backward takes a sequence too
    taken = finder.take(OPTIMIZER)
    assert taken is not None and taken.item() == pytest.approx(0.75)


def test_a_backward_on_a_tensor_other_than_the_scaled_one_counts_as_given() -> None:
    finder = LossFinder()
    finder.scaled(scalar(0.75), scalar(0.75) * 8.0)  # scaled, but backward() ran on another scalar
    other = scalar(2.0)
    finder.backward(other, calls=1)
    assert finder.take(OPTIMIZER) is other


def test_non_scalar_backwards_are_no_loss() -> None:
    finder = LossFinder()
    out = torch.ones(3, requires_grad=True) * 2.0
    finder.backward(out, calls=1)
    assert finder.take(OPTIMIZER) is None


def test_a_closures_backward_inside_step_is_left_to_the_probe() -> None:
    finder = LossFinder()
    finder.stepping = True
    finder.backward(scalar(1.0), calls=1)
    finder.stepping = False
    assert finder.take(OPTIMIZER) is None


def test_a_step_gradscaler_skipped_leaves_its_losses_behind() -> None:
    finder = LossFinder()
    finder.backward(scalar(9.0), calls=1)
    finder.drop()  # GradScaler skipped optimizer.step()
    finder.backward(scalar(1.0), calls=2)
    taken = finder.take(OPTIMIZER)
    assert taken is not None and taken.item() == 1.0


def test_two_optimizers_stepped_on_one_backward_share_its_loss() -> None:
    finder = LossFinder()
    loss = scalar(0.5)
    finder.backward(loss, calls=1)
    assert finder.take(OPTIMIZER) is loss
    assert finder.take(OTHER) is loss  # the same backward: the same loss
    assert finder.take(OTHER) is None  # but not twice for one optimizer


def test_the_cross_entropys_classes_are_read_from_the_first_backwards() -> None:
    logits = nn.Linear(4, 5)(torch.randn(8, 4))
    loss = F.cross_entropy(logits, torch.randint(0, 5, (8,)))
    assert classes_of(loss) == 5
    assert classes_of(loss / 4) == 5  # scaled for accumulation: still a cross-entropy
    assert classes_of(F.mse_loss(logits, torch.zeros(8, 5))) is None
    finder = LossFinder()
    finder.backward(loss / 4, calls=1)
    assert finder.classes == 5
    late = LossFinder()
    late.backward(loss, calls=CLASS_LOOKS + 1)  # later calls are not looked at
    assert late.classes is None
