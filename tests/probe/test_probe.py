"""Probe figures against an independent plain-PyTorch computation of the same steps.

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


# -- tests --------------------------------------------------------------------------------


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


class TiedLM(nn.Module):
    def __init__(self, vocab: int = 11, dim: int = 8, out_bias: bool = True) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, vocab, bias=out_bias)
        self.out.weight = self.emb.weight  # tied

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.mix(self.emb(x))))


@pytest.mark.parametrize("out_bias", [True, False])
def test_tied_weight_is_measured_once_under_its_first_owner(out_bias: bool) -> None:
    torch.manual_seed(0)
    model = TiedLM(out_bias=out_bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(2)
    batches = [(torch.randint(0, 11, (8,), generator=g), torch.randint(0, 11, (8,), generator=g)) for _ in range(3)]
    records, expected, layout = train(model, opt, batches, ce)
    names = [layer.name for layer in layout.layers]
    assert names == (["emb", "mix", "out"] if out_bias else ["emb", "mix"])
    emb = layout.layers[0]
    assert emb.shared_with == ("out",), "the first owner's LayerInfo names the other module"
    assert emb.params == 11 * 8
    assert sum(layer.params for layer in layout.layers) == sum(p.numel() for p in model.parameters()), (
        "a shared tensor is counted once"
    )
    if out_bias:
        assert layout.layers[2].params == 11  # only its own bias
        assert layout.layers[2].shared_with == ()
    assert_figures(records, expected)
    # The shared weight's gradient holds both uses (lookup and output projection).
    w = model.emb.weight
    assert records[0].grad_norm[0] > 0 and w.grad is not None


def test_frozen_layer_is_not_trainable_and_never_moves() -> None:
    model = mlp(seed=1)
    model[0].requires_grad_(False)
    frozen_before = model[0].weight.detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    first = layout.layers[0]
    assert first.name == "0"
    assert first.trainable is False
    assert [layer.trainable for layer in layout.layers[1:]] == [True, True]
    for rec in records:
        assert rec.has_grad[0] is False
        assert rec.grad_norm[0] == 0.0
        assert rec.update_norm[0] == 0.0
    assert torch.equal(model[0].weight, frozen_before)
    # The trainable layers are measured as usual.
    for rec, exp in zip(records, expected, strict=True):
        for i in (1, 2):
            assert rec.grad_norm[i] == pytest.approx(exp.grad[i], rel=1e-5)
            assert rec.update_norm[i] == pytest.approx(exp.update[i], rel=1e-5)
        assert rec.total_grad_norm == pytest.approx(exp.total, rel=1e-5)


class WithUnusedBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(6, 3)
        self.spare = nn.Linear(6, 3)  # defined, never called

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


def test_unused_branch_has_no_gradient_on_any_step() -> None:
    torch.manual_seed(0)
    model = WithUnusedBranch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    assert [layer.name for layer in layout.layers] == ["used", "spare"]
    assert layout.layers[1].trainable is True
    assert all(rec.has_grad == (True, False) for rec in records)
    assert all(rec.grad_norm[1] == 0.0 and rec.update_norm[1] == 0.0 for rec in records)
    assert_figures(records, expected)


def test_parameter_not_held_by_the_optimizer_gets_a_gradient_but_does_not_move() -> None:
    model = mlp(seed=2)
    held = [p for name, p in model.named_parameters() if not name.startswith("2.")]
    opt = torch.optim.SGD(held, lr=0.1)
    records, expected, layout = train(model, opt, make_batches(4, 6, 3), ce)
    assert [layer.optimized for layer in layout.layers] == [True, False, True]
    for rec in records:
        assert rec.grad_norm[1] > 0.0
        assert rec.update_norm[1] == 0.0
        assert rec.has_grad[1] is True
    assert_figures(records, expected)


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


class _WithEmptyLayer(nn.Module):
    """18 small tensors and a zero-entry Linear whose (empty) output joins the features."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(*(nn.Sequential(nn.Linear(6, 6), nn.Tanh()) for _ in range(9)))
        self.empty = nn.Linear(6, 0)
        self.head = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        return self.head(torch.cat([h, self.empty(h)], dim=1))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_a_zero_entry_parameter_among_many_small_tensors() -> None:
    """A size-0 class sorts first on the size-class path; its block arithmetic divided by zero."""
    torch.manual_seed(0)
    model = _WithEmptyLayer()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    records, expected, _ = train(model, opt, make_batches(3, 6, 3), ce, via_watch=True)
    assert_figures(records, expected)


def test_many_small_tensors_reduced_by_size_class_with_a_large_one() -> None:
    """More than FEW small tensors go the size-class way (stacked into the buffer, updates
    subtracted block by block through a scratch tensor); a large tensor rides along in pieces."""
    torch.manual_seed(0)
    blocks: list[nn.Module] = [nn.Linear(6, 32)]
    for _ in range(20):  # 20 x (32x32 weight, bias, LayerNorm weight and bias): 80 small tensors
        blocks += [nn.Linear(32, 32), nn.LayerNorm(32), nn.Tanh()]
    blocks += [nn.Linear(32, 2100), nn.Tanh(), nn.Linear(2100, 3)]  # 67k-entry weight: large (no exact zeros)
    model = nn.Sequential(*blocks)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    records, expected, _ = train(model, opt, make_batches(4, 6, 3), ce, via_watch=True)
    assert_figures(records, expected)
