"""gradscope.watch: observes a user's loop without changing it, and reports like diagnose."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.data.notes import NoteCode, Voice
from gradscope.data.records import Verdict
from gradscope.doors.watch import Watch
from gradscope.render import json as report_json


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


def batches(n: int = 12, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    teacher = torch.randn(8, 3, generator=g)
    out = []
    for _ in range(n):
        x = torch.randn(16, 8, generator=g)
        out.append((x, (x @ teacher).argmax(1)))
    return out


def hook_count(opt: torch.optim.Optimizer) -> int:
    return len(opt._optimizer_step_pre_hooks) + len(opt._optimizer_step_post_hooks)


def test_sgd_update_is_lr_times_grad_and_loss_is_recorded() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    expected = []
    with gradscope.watch(model, opt) as w:
        for x, y in batches(5):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            first = model[0]
            g = torch.cat([first.weight.grad.flatten(), first.bias.grad.flatten()]).norm().item()
            expected.append((g, loss.item()))
            w.loss(loss)
            opt.step()
    recs = w.probe.records
    assert len(recs) == 5
    for rec, (g, loss) in zip(recs, expected, strict=True):
        assert rec.grad_norm[0] == pytest.approx(g, rel=1e-5)
        assert rec.update_norm[0] == pytest.approx(0.05 * g, rel=1e-4)
        assert rec.loss == pytest.approx(loss, rel=1e-6)


def test_loss_given_after_step_belongs_to_that_step() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    with gradscope.watch(model, opt) as w:
        for x, y in batches(4):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            w.loss(loss)
            losses.append(loss.item())
    assert [r.loss for r in w.probe.records] == pytest.approx(losses)


def test_hooks_removed_and_modes_restored_after_normal_exit_and_exception() -> None:
    model = make_model()
    model.eval()
    model[2].train()  # a mixed state must come back exactly
    before = [m.training for m in model.modules()]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with gradscope.watch(model, opt):
        model.train()
        x, y = batches(1)[0]
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert hook_count(opt) == 0
    assert [m.training for m in model.modules()] == before

    with pytest.raises(RuntimeError, match="boom"), gradscope.watch(model, opt):
        model.train()
        raise RuntimeError("boom")
    assert hook_count(opt) == 0
    assert [m.training for m in model.modules()] == before


Loop = Callable[[nn.Module, torch.optim.Optimizer, object], None]


def loop_clip(model: nn.Module, opt: torch.optim.Optimizer, w: object) -> None:
    for x, y in batches(6):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.1)
        opt.step()


def loop_accumulate(model: nn.Module, opt: torch.optim.Optimizer, w: object) -> None:
    data = batches(12)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for i in range(0, len(data), 3):
        opt.zero_grad()
        for x, y in data[i : i + 3]:
            loss = F.cross_entropy(model(x), y) / 3
            loss.backward()
            if w is not None:
                w.loss(loss)
        opt.step()
        sched.step()


def loop_scaler(model: nn.Module, opt: torch.optim.Optimizer, w: object) -> None:
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    if w is not None:
        w.probe.scaler = scaler
    for i, (x, y) in enumerate(batches(8)):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
        if i == 3:
            loss = loss * float("inf")  # one overflowing step: the scaler must skip it
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()


@pytest.mark.parametrize("loop", [loop_clip, loop_accumulate, loop_scaler], ids=["clip", "accumulate", "scaler"])
def test_training_is_bit_identical_with_and_without_watch(loop: Loop) -> None:
    results = []
    for watched in (False, True):
        model = make_model(3)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
        torch.manual_seed(7)  # dropout draws the same masks in both runs
        if watched:
            with gradscope.watch(model, opt) as w:
                loop(model, opt, w)
        else:
            loop(model, opt, None)
        results.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)


def test_scaler_skipped_step_is_counted_not_recorded() -> None:
    model = make_model(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    with gradscope.watch(model, opt, scaler=scaler) as w:
        for i, (x, y) in enumerate(batches(8)):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if i in (3, 6):
                loss = loss * float("inf")
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    assert len(w.probe.records) == 6
    assert w.probe.skipped == 2
    assert w.report().record.run.skipped_steps == 2


def test_every_k_records_exactly_the_kth_steps() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen: list[int] = []
    with gradscope.watch(model, opt, every=3, log=lambda step, figures: seen.append(step)) as w:
        for x, y in batches(10):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    assert [r.step for r in w.probe.records] == [0, 3, 6, 9]
    assert seen == [0, 3, 6, 9]


def test_log_receives_figures_by_layer_name() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    got: list[dict[str, object]] = []
    with gradscope.watch(model, opt, log=lambda step, figures: got.append(figures)) as w:
        x, y = batches(1)[0]
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        w.loss(loss)
        opt.step()
    layers = got[0]["layers"]
    assert isinstance(layers, dict)
    assert set(layers) == {"0", "3", "5"}
    assert got[0]["loss"] == pytest.approx(loss.item())


def test_closure_optimizer_loss_taken_automatically() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    x = torch.randn(64, 4)
    y = x.sum(1, keepdim=True)
    opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        return loss

    with gradscope.watch(model, opt) as w:
        first = []
        for _ in range(4):
            first.append(F.mse_loss(model(x), y).item())
            opt.step(closure)
    recs = w.probe.records
    assert [r.loss for r in recs] == pytest.approx(first, rel=1e-5)
    assert all(r.grad_norm[0] > 0 for r in recs)
    assert w.report().record.run.loss_source == "closure"


def test_without_loss_the_report_says_loss_rules_did_not_run(tmp_path: Path) -> None:
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with gradscope.watch(model, opt) as w:
        for x, y in batches(4):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    report = w.report()
    assert report.record.run.loss_source == "none"
    assert any(n.code is NoteCode.NO_LOSS for n in report.notes)
    assert report.to_text().count("no loss was recorded") == 1  # the note, not the header again
    assert not any(f.code in {"GS301", "GS302"} for f in report.findings)
    w.save(tmp_path / "run.json")
    again = report_json.load(tmp_path / "run.json")
    assert again.verdict == report.verdict
    assert len(again.record.steps) == 4


def test_watch_report_finds_a_vanishing_sigmoid_net() -> None:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for i in range(12):
        layers += [nn.Linear(32 if i else 8, 32), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(32, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradscope.watch(model, opt) as w:
        for x, y in batches(10):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    report = w.report()
    assert report.verdict is Verdict.VANISHING
    assert report.statuses[0].value == "vanishing"
    assert report.statuses[-1].value == "healthy"


def test_low_memory_mode_is_close_to_exact() -> None:
    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    data = [(torch.randn(32, 256), torch.randint(0, 10, (32,))) for _ in range(5)]
    out = {}
    for mode in ("exact", "low"):
        model = copy.deepcopy(base)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        with gradscope.watch(model, opt, memory=mode) as w:
            for x, y in data:
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
        out[mode] = (w.probe.records, w.probe.snapshot_bytes)
    params = sum(p.numel() * 4 for p in base.parameters())
    assert out["exact"][1] == params
    assert out["low"][1] < 0.01 * params + 4 * (512 + 512 + 10 + 10 * 512)  # large weights sampled, rest whole
    for exact, low in zip(out["exact"][0], out["low"][0], strict=True):
        for e, lo in zip(exact.update_ratio, low.update_ratio, strict=True):
            assert lo == pytest.approx(e, rel=0.05)
        assert low.grad_norm == pytest.approx(exact.grad_norm)


def test_watch_figures_equal_diagnose_figures(tmp_path: Path) -> None:
    """The same model, seed and batches give the same figures through watch and through diagnose."""
    from gradscope.config import RunConfig
    from gradscope.doors.diagnose import run_diagnosis

    script = tmp_path / "m.py"
    script.write_text(
        "import torch\nfrom torch import nn\n"
        "model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))\n"
        "g = torch.Generator().manual_seed(5)\n"
        "data = [(torch.randn(16, 8, generator=g), torch.randint(0, 3, (16,), generator=g)) for _ in range(6)]\n"
        "def optimizer(params):\n    return torch.optim.SGD(params, lr=0.1, momentum=0.9)\n"
    )
    report = run_diagnosis(RunConfig(script=script, steps=6, seed=11, device="cpu", verify=False))

    torch.manual_seed(11)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    g = torch.Generator().manual_seed(5)
    data = [(torch.randn(16, 8, generator=g), torch.randint(0, 3, (16,), generator=g)) for _ in range(6)]
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with gradscope.watch(model, opt) as w:
        for x, y in data:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    mine = w.probe.records
    theirs = report.record.steps
    assert len(mine) == len(theirs) == 6
    for a, b in zip(mine, theirs, strict=True):
        assert a.grad_norm == pytest.approx(b.grad_norm, rel=1e-6)
        assert a.update_norm == pytest.approx(b.update_norm, rel=1e-6)
        assert a.weight_norm == pytest.approx(b.weight_norm, rel=1e-6)
        assert a.loss == pytest.approx(b.loss, rel=1e-6)
    assert w.report().verdict == report.verdict


def test_nan_gradient_is_a_finding_not_a_crash() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gradscope.watch(model, opt) as w:
        for i, (clean, y) in enumerate(batches(3)):
            x = clean.clone()
            if i == 1:
                x[0, 0] = math.nan
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    report = w.report()
    assert report.verdict is Verdict.NONFINITE
    assert report.record.steps[1].nonfinite_grad[0] > 0


def test_weights_changed_between_steps_are_measured_afresh() -> None:
    """WGAN-style weight clipping after each step: the next step's weight norm must see it."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, 3))  # 90k: a "large" tensor
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    expected = []
    with gradscope.watch(model, opt) as w:
        for _, y in batches(4):
            opt.zero_grad()
            F.cross_entropy(model(torch.randn(16, 300)), y).backward()
            first = model[0]
            expected.append(torch.cat([first.weight.flatten(), first.bias]).double().norm().item())
            opt.step()
            with torch.no_grad():
                first.weight.clamp_(-0.01, 0.01)
    assert [r.weight_norm[0] for r in w.probe.records] == pytest.approx(expected, rel=1e-5)


def test_weights_changed_through_data_between_steps_are_measured_afresh() -> None:
    """`p.data.clamp_` bypasses version counters; the next step must still see the clipped weights."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    expected_w, expected_u = [], []
    with gradscope.watch(model, opt) as w:
        for _, y in batches(4):
            opt.zero_grad()
            F.cross_entropy(model(torch.randn(16, 300)), y).backward()
            first = model[0]
            before = torch.cat([first.weight.flatten(), first.bias]).detach().double()
            expected_w.append(before.norm().item())
            opt.step()
            after = torch.cat([first.weight.flatten(), first.bias]).detach().double()
            expected_u.append((after - before).norm().item())
            first.weight.data.clamp_(-0.01, 0.01)
    assert [r.weight_norm[0] for r in w.probe.records] == pytest.approx(expected_w, rel=1e-5)
    assert [r.update_norm[0] for r in w.probe.records] == pytest.approx(expected_u, rel=1e-4)


@pytest.mark.parametrize("mode", ["exact", "low"])
def test_models_with_only_large_or_non_contiguous_parameters(mode: str) -> None:
    class Transposed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(512, 300).t())  # 153k entries, not contiguous

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x @ self.w

    torch.manual_seed(0)
    model = Transposed()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    expected = []
    with gradscope.watch(model, opt, memory=mode) as w:
        for _ in range(3):
            before = model.w.detach().clone()
            opt.zero_grad()
            (torch.randn(8, 300) @ model.w).pow(2).mean().backward()
            opt.step()
            expected.append((model.w.detach() - before).norm().item())
    assert [r.update_norm[0] for r in w.probe.records] == pytest.approx(expected, rel=1e-4)


def test_report_notes_a_parameter_whose_storage_was_swapped() -> None:
    """`p.data = other` leaves the probe reading the old tensor: the report must say so, by layer."""
    notes = {}
    for swap in (False, True):
        model = make_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with gradscope.watch(model, opt) as w:
            for i, (x, y) in enumerate(batches(4)):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
                if swap and i == 1:
                    model[3].weight.data = model[3].weight.detach().clone()
        notes[swap] = [n for n in w.report().notes if n.code is NoteCode.STORAGE_REPLACED]
    assert notes[False] == []
    (note,) = notes[True]
    assert note.fields["layers"] == ["3"]
    assert "in 3;" in note.text(Voice(door="watch"))


def scaled_run(fused: bool, skip_at: tuple[int, ...]) -> tuple[Watch, list[torch.Tensor]]:
    """A GradScaler loop; `fused` hands step() the scaled gradients and found_inf (fused kernel)."""
    model = make_model(5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=fused, foreach=False if not fused else None)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**12)
    losses = []
    with gradscope.watch(model, opt, scaler=scaler) as w:
        for i, (x, y) in enumerate(batches(8)):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            if i in skip_at:
                loss = loss * float("inf")
            losses.append(loss.detach())
            w.loss(loss)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    return w, losses


def test_fused_optimizer_under_grad_scaler_is_unscaled_and_skips_are_counted_once() -> None:
    """A fused optimizer gets step() with scaled gradients and skips inside its kernel:
    without unscaling, a healthy net read as exploding (gradient norms x4096)."""
    plain, _ = scaled_run(fused=False, skip_at=(3,))
    fused, losses = scaled_run(fused=True, skip_at=(3,))
    a, b = plain.probe.records, fused.probe.records
    assert len(a) == len(b) == 7
    assert plain.probe.skipped == fused.probe.skipped == 1
    for ra, rb in zip(a, b, strict=True):
        assert rb.step == ra.step
        assert rb.grad_norm == pytest.approx(ra.grad_norm, rel=1e-4)
        assert rb.update_norm == pytest.approx(ra.update_norm, rel=1e-3)
        assert math.isfinite(rb.loss)
    # The step after the skip carries its own iteration's loss, not a mean with the inf one.
    assert b[3].loss == pytest.approx(float(losses[4]))
    assert a[3].loss == pytest.approx(float(losses[4]))
    assert fused.report().verdict is Verdict.HEALTHY


def test_grad_scaler_skip_before_the_first_step_is_counted() -> None:
    w, _ = scaled_run(fused=False, skip_at=(0,))
    assert w.probe.skipped == 1
    assert len(w.probe.records) == 7


class _SpareInf(nn.Module):
    """A trainable layer never used in forward holds an inf weight: every step takes the slow path."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        self.spare = nn.Linear(2, 2)
        with torch.no_grad():
            self.spare.weight[0, 0] = float("inf")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


@pytest.mark.parametrize("fused", [False, True])
def test_slow_path_under_grad_scaler_reports_unscaled_gradients(fused: bool) -> None:
    """The fused kernel writes the unscaled gradients back before the post-step hook reads them."""
    torch.manual_seed(0)
    model = _SpareInf()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=fused, foreach=None if fused else False)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**12)
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    truth = []
    with gradscope.watch(model, opt, scaler=scaler) as w:
        for _ in range(3):
            opt.zero_grad()
            scaler.scale(F.cross_entropy(model(x), y)).backward()
            scale = scaler.get_scale()
            truth.append(
                math.sqrt(sum(float((p.grad / scale).double().square().sum()) for p in model.body[0].parameters()))
            )
            scaler.step(opt)
            scaler.update()
    assert [r.grad_norm[0] for r in w.probe.records] == pytest.approx(truth, rel=1e-5)
    assert all(r.nonfinite_weight[-1] == 1 for r in w.probe.records)


def numbered_loop(skip_at: tuple[int, ...], loss_after: bool, growth_interval: int = 2000) -> Watch:
    """Unfused GradScaler loop whose loss at iteration i is i (inf where the step must be skipped)."""
    model = make_model(5)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=growth_interval)
    with gradscope.watch(model, opt, scaler=scaler) as w:
        for i, (x, y) in enumerate(batches(8)):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            scaler.scale(loss * (float("inf") if i in skip_at else 1.0)).backward()
            given = torch.tensor(float("inf") if i in skip_at else float(i))
            if not loss_after:
                w.loss(given)
            scaler.step(opt)
            scaler.update()
            if loss_after:
                w.loss(given)
    return w


@pytest.mark.parametrize("loss_after", [False, True], ids=["loss-before-step", "loss-after-step"])
@pytest.mark.parametrize("skip_at", [(0,), (3,), (3, 4)])
def test_skipped_iterations_losses_stay_out_of_the_records(skip_at: tuple[int, ...], loss_after: bool) -> None:
    w = numbered_loop(skip_at, loss_after)
    kept = [float(i) for i in range(8) if i not in skip_at]
    assert [r.loss for r in w.probe.records] == kept
    assert w.probe.skipped == len(skip_at)


def test_a_skip_right_after_the_scale_grew_is_counted() -> None:
    """growth_interval=1: each good step doubles the scale, so a skip's halving leaves it unchanged."""
    w = numbered_loop((1, 5, 6), loss_after=False, growth_interval=1)
    assert w.probe.skipped == 3
    assert [r.loss for r in w.probe.records] == [0.0, 2.0, 3.0, 4.0, 7.0]


def test_a_learning_rate_under_a_schedule_is_advised_as_a_scale_of_the_schedule() -> None:
    # SGD at 1e-7 with a 10-step linear warm-up: the first step ran at 1e-8, so "x1000 of the
    # current rate" read off the first step would advise a rate 10x lower than meant.
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
    opt = torch.optim.SGD(model.parameters(), lr=1e-7)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / 10))
    x, y = torch.randn(256, 20), torch.randint(0, 5, (256,))
    with gradscope.watch(model, opt) as w:
        for i in range(20):
            rows = slice(32 * (i % 8), 32 * (i % 8) + 32)
            opt.zero_grad()
            loss = F.cross_entropy(model(x[rows]), y[rows])
            loss.backward()
            w.loss(loss)
            opt.step()
            schedule.step()
    report = w.report()
    assert report.verdict is Verdict.STALLED
    (rec,) = [r for r in report.recommendations if r.action == "learning_rate"]
    assert rec.numbers["current_lr"] == pytest.approx(1e-7)  # the schedule's highest, not its first 1e-8
    scale = rec.numbers["scale"]
    assert isinstance(scale, float) and scale > 1
    assert rec.lr == pytest.approx(float(f"{1e-7 * scale:.2g}"))
    assert rec.code.startswith("# every learning rate of the schedule x")
    assert rec.code.endswith(f"(highest measured lr -> {rec.lr:g})")
    assert "a schedule moved the rate between 1e-08 and 1e-07" in rec.how
    assert "SGD lr 1e-08 (scheduled: 1e-08 to 1e-07)" in report.to_text()
