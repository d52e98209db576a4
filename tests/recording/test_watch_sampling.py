"""Regressions from the review of the cheaper per-step engine: cached snapshots, sampled zero
shares, float64 sums and exact zeros. Each figure is checked against a float64 loop."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.probe import reduce as stats


def test_rows_rewritten_through_data_between_steps_are_seen() -> None:
    """Re-initialising 3% of a layer's rows through p.data (dead-unit resets, max-norm) must
    not be mistaken for part of the optimizer's update by reusing the post-step snapshot."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(5)
    expected_w, expected_u = [], []
    with gradscope.watch(model, opt) as w:
        for step in range(12):
            if step:
                rows = torch.randperm(1024, generator=gen)[:30]
                model[2].weight.data[rows] = torch.randn(30, 1024, generator=gen) * 0.03
            opt.zero_grad()
            F.mse_loss(model(torch.randn(64, 64, generator=gen)), torch.randn(64, 1, generator=gen)).backward()
            layer = model[2]
            before = torch.cat([layer.weight.flatten(), layer.bias]).detach().double().clone()
            opt.step()
            after = torch.cat([layer.weight.flatten(), layer.bias]).detach().double()
            expected_w.append(before.norm().item())
            expected_u.append((after - before).norm().item())
    # fp32 norms of 1M entries carry ~1e-5 relative error; the bug this guards against was 300x.
    assert [r.weight_norm[1] for r in w.probe.records] == pytest.approx(expected_w, rel=1e-4)
    assert [r.update_norm[1] for r in w.probe.records] == pytest.approx(expected_u, rel=1e-4)


def zero_share(t: torch.Tensor) -> float:
    return 1.0 - int((t != 0).sum()) / t.numel()


def test_zero_share_sample_follows_the_gradient_layout() -> None:
    """A gradient laid out unlike its parameter (handed over transposed) is counted as it is."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 300), nn.ReLU(), nn.Linear(300, 400), nn.ReLU(), nn.Linear(400, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    expected = []
    with gradscope.watch(model, opt) as w:
        for _ in range(3):
            opt.zero_grad()
            F.mse_loss(model(torch.randn(8, 8)), torch.randn(8, 1)).backward()
            layer = model[2]
            assert layer.weight.grad is not None
            layer.weight.grad = layer.weight.grad.t().contiguous().t()  # same values, other strides
            grads = torch.cat([layer.weight.grad.flatten(), layer.bias.grad.flatten()])  # type: ignore[union-attr]
            expected.append(zero_share(grads))
            opt.step()
    assert [r.zero_grad_frac[1] for r in w.probe.records] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("rows, cols", [(128, 704), (2048, 512), (300, 1024), (1000, 1000), (2, 70000), (16, 8192)])
def test_sampled_zero_share_does_not_alias_with_the_row_length(rows: int, cols: int) -> None:
    """Zeros in whole columns (one-hot inputs): the runs must not all land in the same columns."""
    grad = torch.randn(rows, cols)
    grad[:, : int(cols * 0.43)] = 0
    (sample,), (factor,) = stats.nonzero_samples([grad])
    estimate = 1.0 - int(torch.count_nonzero(sample)) * factor / grad.numel()
    assert estimate == pytest.approx(zero_share(grad), abs=0.03)


@pytest.mark.parametrize("pieces", [True, False])
def test_huge_updates_are_summed_without_fp32_overflow(pieces: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Norms past fp32's square range (~1.8e19) come out finite and right, also on the
    whole-tensor (GPU) path, where the step's update and weights are redone from the buffer."""
    monkeypatch.setattr("gradscope.probe.snapshot.in_pieces", lambda device: pieces)
    model = nn.Linear(2048, 1024, bias=False)  # 2.1M entries: several chunks
    with torch.no_grad():
        model.weight.fill_(1.0)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    with gradscope.watch(model, opt) as w:
        for _ in range(2):
            opt.zero_grad()
            model.weight.grad = torch.full_like(model.weight, 1.5e16)
            opt.step()
    expected = math.sqrt(model.weight.numel()) * 1.5e16
    update = w.probe.records[0].update_norm[0]
    assert math.isfinite(update)
    assert update == pytest.approx(expected, rel=1e-4)
    assert w.probe.records[1].weight_norm[0] == pytest.approx(expected, rel=1e-4)


def test_zero_and_dead_shares_are_exactly_zero_when_nothing_is_zero() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2, bias=False))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradscope.watch(model, opt) as w:
        opt.zero_grad()
        F.mse_loss(model(torch.randn(16, 4)), torch.randn(16, 2)).backward()
        opt.step()
    record = w.probe.records[0]
    assert record.zero_grad_frac == (0.0, 0.0)
    assert all(math.copysign(1.0, v) == 1.0 for v in record.zero_grad_frac + record.dead_unit_frac)
    assert record.dead_unit_frac == (0.0, 0.0)


@pytest.mark.parametrize("memory", ["exact", "low"])
def test_whole_tensor_path_for_gpus_gives_the_figures_of_the_piecewise_cpu_path(
    memory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a GPU large tensors are reduced whole by foreach ops, not in cache-sized pieces; the
    figures must not depend on which. Forced here on CPU, against a float64 loop for updates.
    Tolerance: CPU's fp32 vector_norm of Adam's equal-sized first updates is ~1e-3 off (GPU
    reductions are tree-shaped); a misplaced piece or scale would be off by far more."""

    def run(pieces: bool) -> tuple[list[tuple[float, ...]], list[float]]:
        monkeypatch.setattr("gradscope.probe.snapshot.in_pieces", lambda device: pieces)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1024, 1100), nn.ReLU(), nn.Linear(1100, 3))  # 1.1M: 3 pieces
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        updates = []
        with gradscope.watch(model, opt, memory=memory) as w:
            for _ in range(3):
                opt.zero_grad()
                F.cross_entropy(model(torch.randn(32, 1024)), torch.randint(0, 3, (32,))).backward()
                before = [p.detach().double().clone() for p in model[0].parameters()]
                opt.step()
                after = [p.detach().double() for p in model[0].parameters()]
                updates.append(
                    math.sqrt(sum(float((a - b).square().sum()) for a, b in zip(after, before, strict=True)))
                )
        figures = [r.grad_norm + r.weight_norm + r.update_norm + r.zero_grad_frac for r in w.probe.records]
        return figures, updates

    piecewise, expected = run(True)
    whole, _ = run(False)
    for a, b in zip(piecewise, whole, strict=True):
        assert a == pytest.approx(b, rel=2e-3)
    for figures in (piecewise, whole):
        measured = [f[4] for f in figures]  # update norm of the first layer
        assert measured == pytest.approx(expected, rel=2e-3 if memory == "exact" else 0.05)


def test_zero_share_of_a_huge_non_contiguous_gradient_is_counted_exactly() -> None:
    """A gradient that cannot be sampled by runs (not contiguous) is counted whole; past 2^24
    entries an fp32 count would stop short (0.16 instead of 0.0 on 40M entries)."""
    side = 6000  # 36M entries: past what an fp32 count reaches (2^24, or 2^25 summed in lanes)
    model = nn.Module()
    model.weight = nn.Parameter(torch.zeros(side, side).t())  # non-contiguous parameter
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with gradscope.watch(model, opt) as w:
        grad = torch.ones(side, side).t()
        grad[:, :100] = 0  # 100 of 4100 columns of the transposed view: ~2.4% zeros
        model.weight.grad = grad
        opt.step()
    assert w.probe.records[0].zero_grad_frac[0] == pytest.approx(zero_share(grad), abs=1e-12)
