"""The step measurement (measure.py, grads.py, weights.py): figures of whole steps against an
independent float64 computation of the same steps (probe_reference.py).
"""

from __future__ import annotations

import math

import pytest
import torch
from probe_reference import RootScaled, assert_figures, ce, make_batches, mlp, reference_layers, train

from gradscope.probe import Probe


def test_sgd_update_is_exactly_lr_times_grad_and_root_params_are_a_layer() -> None:
    torch.manual_seed(0)
    model = RootScaled()
    with torch.no_grad():
        model.body[0].bias[:8] = -100.0  # half the hidden units never fire: exact zero gradients
    lr = 0.1
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    assert [layer.name for layer in layout.layers] == ["(root)", "body.0", "body.2"]
    assert [layer.kind for layer in layout.layers] == ["RootScaled", "Linear", "Linear"]
    assert [layer.params for layer in layout.layers] == [1, 6 * 16 + 16, 16 * 3 + 3]
    assert_figures(records, expected)
    for rec in records:
        for i in range(3):
            # exact up to float32 rounding of W_before - W_after (half an ulp of each weight)
            slack = 1e-6 * rec.weight_norm[i]
            assert rec.update_norm[i] == pytest.approx(lr * rec.grad_norm[i], rel=1e-5, abs=slack), (
                "plain SGD moves each layer by exactly lr * grad"
            )
    # The dead half of body.0: its weight rows and bias entries get exactly zero gradient.
    assert expected[0].zero[1] == pytest.approx(0.5)
    assert records[0].zero_grad_frac[1] == pytest.approx(0.5)
    assert records[0].zero_grad_frac[2] > 0.0


def test_adam_step_figures_via_watch() -> None:
    model = mlp(seed=3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, layout = train(model, opt, make_batches(5, 6, 3, seed=4), ce, via_watch=True)
    assert [layer.name for layer in layout.layers] == ["0", "2", "4"]
    assert_figures(records, expected)
    # Adam's first step moves every entry by about lr: not lr * grad.
    assert records[0].update_norm[0] != pytest.approx(1e-2 * records[0].grad_norm[0], rel=0.1)


def test_momentum_sgd_with_weight_decay_figures_via_probe() -> None:
    model = mlp(seed=5)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    records, expected, _ = train(model, opt, make_batches(4, 6, 3, seed=6), ce)
    assert_figures(records, expected)


def test_float64_model_figures_are_exact() -> None:
    model = mlp(seed=7).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batches = [(x.double(), y) for x, y in make_batches(3, 6, 3, seed=8)]
    records, expected, _ = train(model, opt, batches, ce)
    assert_figures(records, expected, rel=1e-12)


def test_bfloat16_model_figures_match_a_float32_computation_of_the_same_tensors() -> None:
    model = mlp(seed=9).to(torch.bfloat16)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    batches = [(x.to(torch.bfloat16), y) for x, y in make_batches(3, 6, 3, seed=10)]
    layers = reference_layers(model)
    probe = Probe(model, opt)
    probe.attach()
    want: list[dict[str, list[float]]] = []
    try:
        for batch in batches:
            opt.zero_grad(set_to_none=True)
            loss = ce(model, batch)
            loss.backward()
            probe.add_loss(loss)
            # float32 reference of the same bf16 tensors
            grad = [
                float(torch.linalg.vector_norm(torch.cat([p.grad.float().flatten() for p in ps]))) for _, ps in layers
            ]
            weight = [
                float(torch.linalg.vector_norm(torch.cat([p.detach().float().flatten() for p in ps])))
                for _, ps in layers
            ]
            before = [[p.detach().float().clone() for p in ps] for _, ps in layers]
            opt.step()
            update = [
                float(
                    torch.linalg.vector_norm(
                        torch.cat([(p.detach().float() - b).flatten() for p, b in zip(ps, bb, strict=True)])
                    )
                )
                for (_, ps), bb in zip(layers, before, strict=True)
            ]
            want.append({"grad": grad, "weight": weight, "update": update})
    finally:
        probe.detach()
    for rec, w in zip(probe.records, want, strict=True):
        for i in range(len(layers)):
            assert rec.grad_norm[i] == pytest.approx(w["grad"][i], rel=1e-4)
            assert rec.weight_norm[i] == pytest.approx(w["weight"][i], rel=1e-4)
            assert rec.update_norm[i] == pytest.approx(w["update"][i], rel=2e-2)
            assert rec.update_norm[i] > 0
        assert rec.total_grad_norm == pytest.approx(math.sqrt(sum(v * v for v in w["grad"])), rel=1e-4)
        assert all(math.isfinite(v) for v in (*rec.grad_norm, *rec.weight_norm, *rec.update_norm))


@pytest.mark.parametrize("late", [False, True])
def test_a_tensor_learning_rate_is_read_in_the_steps_one_transfer(late: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A learning rate held on the GPU joins the step's one transfer instead of a float() that
    would wait for the device; forced here on CPU (`late`), against the float() path."""
    if late:
        monkeypatch.setattr("gradscope.probe.measure.on_device", lambda value: isinstance(value, torch.Tensor))
    model = mlp(seed=3)
    first, rest = list(model[0].parameters()), [p for m in list(model)[1:] for p in m.parameters()]
    lr = torch.tensor(3e-3)
    opt = torch.optim.Adam([{"params": first, "lr": 0.25}, {"params": rest, "lr": lr}], foreach=False)
    probe = Probe(model, opt)
    probe.attach()
    try:
        for batch in make_batches(2, 6, 3):
            opt.zero_grad()
            ce(model, batch).backward()
            opt.step()
            lr.mul_(0.5)  # a scheduler working in place
    finally:
        probe.detach()
    assert [r.lr for r in probe.records] == [(0.25, float(torch.tensor(3e-3))), (0.25, float(torch.tensor(1.5e-3)))]
