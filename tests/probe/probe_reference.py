"""The independent reference the probe tests measure against: plain PyTorch, in float64.

Every test trains a tiny model with its own optimizer and batches, lets
gradscope's Probe (or gradscope.watch) measure the steps, and recomputes the
expected figures by hand from the tensors, in float64:

    grad_norm    sqrt(sum over the layer's own trainable params of ||p.grad||^2)
    weight_norm  the same over the weights, before the step
    update_norm  ||W_after - W_before||, update_ratio = update / weight
    zero share   exactly-zero gradient entries / trainable entries
    total        what clip_grad_norm_ would see over all gradients

A layer is a module that owns parameters directly, named by its named_modules
path, the root's own parameters "(root)"; a shared tensor counts once, under
its first owner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.data.records import StepRecord
from gradscope.probe import Probe

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[nn.Module, Batch], torch.Tensor]


# -- the independent reference ---------------------------------------------------------


def reference_layers(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """(name, own parameters not seen in an earlier module), modules owning parameters directly."""
    seen: set[int] = set()
    layers = []
    for mname, module in model.named_modules():
        own = [p for _, p in module.named_parameters(recurse=False)]
        fresh = [p for p in own if id(p) not in seen]
        seen.update(id(p) for p in own)
        if fresh:
            layers.append((mname or "(root)", fresh))
    return layers


def l2(tensors: Sequence[torch.Tensor]) -> float:
    return math.sqrt(sum(float(t.detach().double().square().sum()) for t in tensors))


@dataclass
class Expected:
    loss: float
    total: float
    grad: list[float]
    weight: list[float]
    update: list[float]
    zero: list[float]
    has_grad: list[bool]
    nonfinite_grad: list[int]
    weights_after: list[list[torch.Tensor]]


def _grad_figures(layers: list[tuple[str, list[nn.Parameter]]]) -> dict[str, Any]:
    grads, zero, has, bad = [], [], [], []
    for _, params in layers:
        trainable = [p for p in params if p.requires_grad]
        present = [p.grad for p in trainable if p.grad is not None]
        finite = [g for g in present if bool(torch.isfinite(g).all())]
        grads.append(l2(finite) if len(finite) == len(present) else math.nan)
        numel = sum(p.numel() for p in trainable)
        zeros = sum(int((p.grad == 0).sum()) if p.grad is not None else p.numel() for p in trainable)
        zero.append(zeros / numel if numel else 0.0)
        has.append(bool(present))
        bad.append(sum(int((~torch.isfinite(g)).sum()) for g in present))
    everything = [p.grad for _, ps in layers for p in ps if p.requires_grad and p.grad is not None]
    return {"grad": grads, "zero": zero, "has_grad": has, "nonfinite_grad": bad, "all": everything}


def expected_step(layers: list[tuple[str, list[nn.Parameter]]], loss: float, step: Callable[[], Any]) -> Expected:
    """Figures of one step whose gradients are in .grad now; `step` runs optimizer.step()."""
    g = _grad_figures(layers)
    total = float(torch.nn.utils.get_total_norm(g["all"])) if g["all"] else 0.0
    trainable = [[p for p in ps if p.requires_grad] for _, ps in layers]
    weight = [l2(ps) for ps in trainable]
    before = [[p.detach().clone() for p in ps] for ps in trainable]
    step()
    after = [[p.detach().clone() for p in ps] for ps in trainable]
    update = [
        l2([a.double() - b.double() for a, b in zip(aa, bb, strict=True)]) for aa, bb in zip(after, before, strict=True)
    ]
    return Expected(loss, total, g["grad"], weight, update, g["zero"], g["has_grad"], g["nonfinite_grad"], after)


def train(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    batches: Sequence[Batch],
    loss_fn: LossFn,
    *,
    via_watch: bool = False,
) -> tuple[list[StepRecord], list[Expected], Any]:
    """Run the steps with gradscope attached; return its records, the hand figures and the layout."""
    layers = reference_layers(model)
    expected: list[Expected] = []
    if via_watch:
        with gradscope.watch(model, opt) as w:
            for batch in batches:
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model, batch)
                loss.backward()
                w.loss(loss)
                expected.append(expected_step(layers, float(loss.detach()), opt.step))
        probe = w.probe
    else:
        probe = Probe(model, opt)
        probe.attach()
        try:
            for batch in batches:
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model, batch)
                loss.backward()
                probe.add_loss(loss)
                expected.append(expected_step(layers, float(loss.detach()), opt.step))
        finally:
            probe.detach()
    assert [layer.name for layer in probe.layout.layers] == [name for name, _ in layers], (
        "layers must be the modules owning parameters directly, by named_modules path"
    )
    return probe.records, expected, probe.layout


def close(value: float, want: float, rel: float) -> bool:
    if math.isnan(want):
        return math.isnan(value)
    return value == pytest.approx(want, rel=rel, abs=1e-12)


def assert_figures(records: Sequence[StepRecord], expected: Sequence[Expected], rel: float = 1e-5) -> None:
    assert len(records) == len(expected), f"{len(records)} records for {len(expected)} optimizer steps"
    for k, (rec, exp) in enumerate(zip(records, expected, strict=True)):
        assert rec.step == k
        assert rec.loss is not None
        assert close(rec.loss, exp.loss, rel), f"step {k}: loss {rec.loss} != {exp.loss}"
        assert close(rec.total_grad_norm, exp.total, rel), (
            f"step {k}: total grad norm {rec.total_grad_norm} != clip_grad_norm_'s {exp.total}"
        )
        for i in range(len(exp.grad)):
            where = f"step {k} layer {i}"
            assert close(rec.grad_norm[i], exp.grad[i], rel), f"{where}: grad {rec.grad_norm[i]} != {exp.grad[i]}"
            assert close(rec.weight_norm[i], exp.weight[i], rel), (
                f"{where}: weight {rec.weight_norm[i]} != {exp.weight[i]}"
            )
            assert close(rec.update_norm[i], exp.update[i], rel), (
                f"{where}: update {rec.update_norm[i]} != {exp.update[i]}"
            )
            want_ratio = exp.update[i] / exp.weight[i] if exp.weight[i] else 0.0
            assert close(rec.update_ratio[i], want_ratio, rel), f"{where}: update ratio"
            assert rec.zero_grad_frac[i] == pytest.approx(exp.zero[i], abs=1e-9), f"{where}: zero-grad share"
            assert rec.has_grad[i] == exp.has_grad[i], f"{where}: has_grad"


# -- models and data --------------------------------------------------------------------


def make_batches(n: int, in_dim: int, classes: int, seed: int = 1, batch: int = 16) -> list[Batch]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(batch, in_dim, generator=g)
        out.append((x, torch.randint(0, classes, (batch,), generator=g)))
    return out


def ce(model: nn.Module, batch: Batch) -> torch.Tensor:
    x, y = batch
    return F.cross_entropy(model(x), y)


def mse(model: nn.Module, batch: Batch) -> torch.Tensor:
    x, y = batch
    return F.mse_loss(model(x), y)


def mlp(seed: int = 0, in_dim: int = 6, hidden: int = 16, classes: int = 3) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, classes)
    )


class RootScaled(nn.Module):
    """A root module with a parameter of its own, in front of a Sequential."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.5]))
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * self.scale
