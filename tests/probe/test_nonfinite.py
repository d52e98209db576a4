"""The non-finite path (nonfinite.py): NaN/Inf entries counted, fp32 overflow redone in float64."""

from __future__ import annotations

import math

import pytest
import torch
from probe_reference import ce, expected_step, l2, make_batches, mlp, reference_layers
from torch import nn

from gradscope.probe import Probe, nonfinite
from gradscope.probe.layout import discover
from gradscope.probe.measure import Measure


def test_nan_and_inf_in_data_are_counted_not_raised() -> None:
    model = mlp(seed=11)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    (x0, y0), (x1, y1), (x2, y2) = make_batches(3, 6, 3, seed=12)
    x1 = x1.clone()
    x1[0, 0] = math.nan
    x2 = x2.clone()
    x2[3, 2] = math.inf
    layers = reference_layers(model)
    probe = Probe(model, opt)
    probe.attach()
    expected = []
    try:
        for batch in [(x0, y0), (x1, y1), (x2, y2)]:
            opt.zero_grad(set_to_none=True)
            loss = ce(model, batch)
            loss.backward()
            probe.add_loss(loss)
            expected.append(expected_step(layers, float(loss.detach()), opt.step))
    finally:
        probe.detach()
    records = probe.records
    assert len(records) == 3
    assert records[0].nonfinite_grad == (0, 0, 0)
    assert math.isfinite(records[0].total_grad_norm)
    for k in (1, 2):
        rec, exp = records[k], expected[k]
        assert sum(exp.nonfinite_grad) > 0
        assert list(rec.nonfinite_grad) == exp.nonfinite_grad, f"step {k}: non-finite gradient entries"
        assert rec.loss is not None and not math.isfinite(rec.loss)
        assert not math.isfinite(rec.total_grad_norm)
    # Step 2 starts from the NaN weights step 1 wrote: every entry is counted.
    assert list(records[2].nonfinite_weight) == [
        sum(int((~torch.isfinite(t)).sum()) for t in ws) for ws in expected[2].weights_after
    ]
    assert sum(records[2].nonfinite_weight) == sum(p.numel() for p in model.parameters())


def test_exploding_float32_gradient_gives_a_finite_correct_norm() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 1))
    x = torch.randn(32, 64)
    lr = 1e-28  # the update stays small: only the gradient norms are at stake here
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    probe = Probe(model, opt)
    probe.attach()
    try:
        opt.zero_grad(set_to_none=True)
        loss = model(x).square().mean() * 1e25
        loss.backward()
        probe.add_loss(loss)
        layers = reference_layers(model)
        grad64 = [l2([p.grad for p in ps]) for _, ps in layers]
        total64 = l2([p.grad for p in model.parameters()])
        assert max(float(p.grad.abs().max()) for p in model.parameters()) > 1e23  # really ~1e25-scale
        assert all(torch.isfinite(p.grad).all() for p in model.parameters())
        assert not math.isfinite(float(torch.linalg.vector_norm(model[0].weight.grad))), (
            "premise: a float32 norm of these gradients overflows"
        )
        opt.step()
    finally:
        probe.detach()
    (rec,) = probe.records
    for i in range(2):
        assert math.isfinite(rec.grad_norm[i]), f"layer {i}: fp32 overflow leaked into the grad norm"
        assert rec.grad_norm[i] == pytest.approx(grad64[i], rel=1e-5)
        assert rec.update_norm[i] == pytest.approx(lr * grad64[i], rel=1e-4)
    assert math.isfinite(rec.total_grad_norm)
    assert rec.total_grad_norm == pytest.approx(total64, rel=1e-5)
    assert rec.nonfinite_grad == (0, 0), "finite gradients are not counted as non-finite"


def test_exploding_float32_update_norm_is_finite_and_correct() -> None:
    """The update ||W_after - W_before|| overflows a float32 norm too; it must be handled like the grad."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64))
    x = torch.randn(32, 64)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    probe = Probe(model, opt)
    probe.attach()
    try:
        opt.zero_grad(set_to_none=True)
        loss = model(x).square().mean() * 1e25
        loss.backward()
        probe.add_loss(loss)
        before = [p.detach().clone() for p in model.parameters()]
        opt.step()
        update64 = l2([p.detach().double() - b.double() for p, b in zip(model.parameters(), before, strict=True)])
        assert all(torch.isfinite(p).all() for p in model.parameters()), "premise: the weights stay finite"
    finally:
        probe.detach()
    (rec,) = probe.records
    assert math.isfinite(update64)
    assert math.isfinite(rec.update_norm[0]), (
        f"BUG probe.py _slow_path: update norm {rec.update_norm[0]} overflowed in float32 and was not "
        f"recomputed (true value {update64:.4g}); gradients' norms are recomputed, updates' are not"
    )
    assert rec.update_norm[0] == pytest.approx(update64, rel=1e-4)


# -- nonfinite.redo on its own ---------------------------------------------------------------


def _measure_with_grads(grads: list[torch.Tensor]) -> tuple[nn.Module, Measure]:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    measure = Measure(model, discover(model, opt), "exact", None)
    for p, g in zip(model.parameters(), grads, strict=True):
        p.grad = g
    for group in measure.groups:
        group.buffer.zero_()  # W_before - W_after = 0: the weights before are the weights now
    return model, measure


def test_a_nan_gradient_entry_is_counted_and_its_layer_norm_is_nan() -> None:
    torch.manual_seed(0)
    grads = [torch.randn(2, 3), torch.randn(2), torch.randn(2, 2), torch.randn(2)]
    grads[0][1, 2] = math.nan
    model, measure = _measure_with_grads(grads)
    redone = nonfinite.redo(
        measure.layout, measure.groups, {}, False, None, measure.device, [math.inf, 5.0], [0.0, 0.0], {}
    )
    assert redone.bad_grad == [1, 0]
    assert redone.bad_weight == [0, 0]
    assert math.isnan(redone.grad[0])
    assert redone.grad[1] == pytest.approx(l2(grads[2:]), rel=1e-12)
    assert math.isnan(redone.total_norm)
    # A weight norm that overflowed is redone exactly; a finite one is kept as read.
    assert redone.weight[0] == pytest.approx(l2([model[0].weight, model[0].bias]), rel=1e-12)
    assert redone.weight[1] == 5.0
    assert redone.update == [0.0, 0.0], "updates are redone only when one overflowed"


def test_an_infinite_update_is_redone_from_the_difference_kept_in_the_buffer() -> None:
    grads = [torch.ones(2, 3), torch.ones(2), torch.ones(2, 2), torch.ones(2)]
    _, measure = _measure_with_grads(grads)
    (group,) = measure.groups
    for held in group.snapshot:
        held.fill_(2.0)  # W_before - W_after = 2 in every entry
    redone = nonfinite.redo(
        measure.layout, measure.groups, {}, False, None, measure.device, [1.0, 1.0], [math.inf, 7.0], {}
    )
    assert redone.update[0] == pytest.approx(2.0 * math.sqrt(6 + 2), rel=1e-12)
    assert redone.update[1] == 7.0
    assert redone.bad_grad == [0, 0] and redone.total_norm == pytest.approx(math.sqrt(6 + 2 + 4 + 2), rel=1e-12)
