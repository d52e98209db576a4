"""The step hooks (hooks.py, core.py): a closure optimizer's first evaluation is the step's."""

from __future__ import annotations

import pytest
import torch
from probe_reference import Expected, assert_figures, expected_step, l2, reference_layers
from torch import nn
from torch.nn import functional as F

from gradscope.probe import Probe, hooks


def test_lbfgs_closure_grads_are_at_the_starting_weights_and_loss_from_the_closure() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 12), nn.Tanh(), nn.Linear(12, 2))
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(32, 4, generator=g), torch.randn(32, 2, generator=g)
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=4, history_size=5)
    layers = reference_layers(model)
    probe = Probe(model, opt)
    probe.attach()
    expected: list[Expected] = []
    grads_at_end: list[list[float]] = []
    try:
        for _ in range(3):
            # By hand: the gradient and loss at the weights the step starts from.
            opt.zero_grad(set_to_none=True)
            start_loss = F.mse_loss(model(x), y)
            start_loss.backward()
            calls: list[float] = []

            def closure(calls: list[float] = calls) -> torch.Tensor:
                opt.zero_grad(set_to_none=True)
                value = F.mse_loss(model(x), y)
                value.backward()
                calls.append(float(value.detach()))
                return value

            exp = expected_step(layers, float(start_loss.detach()), lambda c=closure: opt.step(c))
            assert calls[0] == pytest.approx(float(start_loss.detach()), rel=1e-6)
            assert len(calls) > 1, "LBFGS should evaluate the closure several times per step"
            expected.append(exp)
            grads_at_end.append([l2([p.grad for p in ps]) for _, ps in layers])
    finally:
        probe.detach()
    records = probe.records
    assert_figures(records, expected)
    # The last closure evaluation left other gradients behind: the probe did not read those.
    assert any(
        abs(end[i] - exp.grad[i]) > 1e-3 * exp.grad[i]
        for end, exp in zip(grads_at_end, expected, strict=True)
        for i in range(len(layers))
    )


# -- the hook lifecycle ----------------------------------------------------------------------


def _step(model: nn.Module, opt: torch.optim.Optimizer) -> None:
    opt.zero_grad()
    model(torch.randn(4, 6)).square().mean().backward()
    opt.step()


def test_attach_adds_two_hooks_and_detach_removes_them() -> None:
    model = nn.Linear(6, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = (len(opt._optimizer_step_pre_hooks), len(opt._optimizer_step_post_hooks))
    probe = Probe(model, opt)
    probe.attach()
    assert (len(opt._optimizer_step_pre_hooks), len(opt._optimizer_step_post_hooks)) == (before[0] + 1, before[1] + 1)
    _step(model, opt)
    probe.detach()
    assert (len(opt._optimizer_step_pre_hooks), len(opt._optimizer_step_post_hooks)) == before
    _step(model, opt)  # not seen
    assert probe.steps_seen == 1 and len(probe.records) == 1
    probe.detach()  # a second detach is harmless
    probe.attach()  # and the probe can be attached again, going on from where it was
    _step(model, opt)
    probe.detach()
    assert probe.steps_seen == 2 and [r.step for r in probe.records] == [0, 1]


def test_every_records_each_nth_step_and_counts_all() -> None:
    model = nn.Linear(6, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    probe = Probe(model, opt, every=3)
    probe.attach()
    for _ in range(7):
        _step(model, opt)
    probe.detach()
    assert probe.steps_seen == 7
    assert [r.step for r in probe.records] == [0, 3, 6]


def test_a_model_without_trainable_parameters_counts_steps_and_records_none() -> None:
    model = nn.Linear(6, 3).requires_grad_(False)
    extra = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([extra], lr=0.1)
    probe = Probe(model, opt)
    probe.attach()
    for _ in range(2):
        opt.step()
    probe.detach()
    assert probe.steps_seen == 2 and probe.records == []


def test_steps_outside_no_sync_are_numbered_and_steps_inside_are_not() -> None:
    steps = hooks.Steps(every=2)
    assert steps.begin(syncing=True) is True  # step 0: recorded
    assert steps.end() == 0
    steps.taken(0, kept=True)
    assert steps.last_recorded
    assert steps.begin(syncing=False) is False  # inside no_sync(): no step of the job
    assert steps.end() is None
    assert steps.seen == 1 and steps.last_recorded, "an unsynced step neither counts nor ends the last record"
    assert steps.begin(syncing=True) is False  # step 1: not recorded
    assert steps.end() is None
    assert steps.seen == 2 and not steps.last_recorded


def test_a_skipped_measured_step_is_not_numbered() -> None:
    steps = hooks.Steps(every=1)
    steps.begin(syncing=True)
    index = steps.end()
    assert index == 0 and steps.seen == 1
    steps.taken(index, kept=False)
    assert steps.seen == 0 and not steps.last_recorded


def test_closure_is_found_and_replaced_where_step_was_given_it() -> None:
    opt, first, second = object(), (lambda: 1.0), (lambda: 2.0)
    assert hooks.closure_of((opt,), {}) is None
    assert hooks.closure_of((opt, first), {}) is first
    assert hooks.closure_of((opt,), {"closure": first}) is first
    assert hooks.with_closure((opt, first), {}, second) == ((opt, second), {})
    assert hooks.with_closure((opt,), {"closure": first}, second) == ((opt,), {"closure": second})


def test_observing_first_sees_only_the_first_evaluation() -> None:
    seen: list[float] = []
    values = iter([3.0, 4.0, 5.0])
    observed = hooks.observing_first(lambda: next(values), seen.append)
    assert [observed(), observed(), observed()] == [3.0, 4.0, 5.0]
    assert seen == [3.0]
