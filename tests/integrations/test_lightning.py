"""GradscopeCallback for Lightning: real fits of tiny modules on the CPU, no downloads."""

from __future__ import annotations

import csv
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from harness import ROOT
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.data.records import StepRecord

L = pytest.importorskip("lightning.pytorch")
from lightning.pytorch.loggers import CSVLogger  # noqa: E402

from gradscope.integrations.lightning import GradscopeCallback  # noqa: E402

Batches = list[tuple[torch.Tensor, torch.Tensor]]


@pytest.fixture(autouse=True)
def one_thread() -> Any:
    """Ops this small gain nothing from a second thread, and on a busy machine its spin-waits
    made each fit several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def batches(n: int = 30, width: int = 8, classes: int = 3, seed: int = 1) -> Batches:
    g = torch.Generator().manual_seed(seed)
    teacher = torch.randn(width, classes, generator=g)
    out = []
    for _ in range(n):
        x = torch.randn(16, width, generator=g)
        out.append((x, (x @ teacher).argmax(1)))
    return out


class Classifier(L.LightningModule):
    """A small MLP; `watch=True` records with gradscope.watch from inside the module instead."""

    def __init__(self, net: nn.Module, lr: float = 0.1, *, scheduler: bool = False, watch: bool = False) -> None:
        super().__init__()
        self.net = net
        self.lr = lr
        self.scheduler = scheduler
        self.watch = watch
        self.watcher: Any = None
        self.losses: list[float] = []  # what training_step returned, per micro-batch

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(self.net(x).float(), y)
        self.losses.append(loss.item())
        if self.watcher is not None:
            self.watcher.loss(loss)
        return loss

    def on_train_start(self) -> None:
        if self.watch:
            self.watcher = gradscope.watch(self, self.trainer.optimizers[0]).__enter__()

    def on_train_end(self) -> None:
        if self.watcher is not None:
            self.watcher.__exit__(None, None, None)

    def configure_optimizers(self) -> Any:
        opt = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)
        if not self.scheduler:
            return opt
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


def fit(
    module: L.LightningModule,
    tmp_path: Path,
    data: Batches | None = None,
    callbacks: list[Any] | None = None,
    **trainer: Any,
) -> L.Trainer:
    options: dict[str, Any] = {"max_steps": 30, "accelerator": "cpu", "devices": 1} | trainer
    run = L.Trainer(
        logger=CSVLogger(tmp_path, name="logs"),
        callbacks=callbacks or [],
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        num_sanity_val_steps=0,
        **options,
    )
    run.fit(module, torch.utils.data.DataLoader(data if data is not None else batches(), batch_size=None))
    return run


def figures(steps: tuple[StepRecord, ...] | list[StepRecord]) -> list[tuple[float, ...]]:
    return [(s.total_grad_norm, *s.grad_norm, *s.weight_norm, *s.update_norm) for s in steps]


def test_fit_writes_the_report_into_the_log_dir_and_logs_grouped_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = GradscopeCallback(plots=True)
    trainer = fit(Classifier(mlp()), tmp_path, callbacks=[callback])
    log_dir = Path(trainer.log_dir)
    saved = json.loads((log_dir / "gradscope.json").read_text())
    assert saved["run"]["steps"] == 30
    assert saved["run"]["loss_source"] == "lightning"
    assert [layer["name"] for layer in saved["layers"]] == ["net.0", "net.2", "net.4"]
    assert sorted(p.name for p in (log_dir / "gradscope_plots").glob("*.png"))  # plots when asked
    out = capsys.readouterr().out
    assert out.count("verdict:") == 1 and str(log_dir / "gradscope.json") in out
    report = callback.reports[0]
    with (log_dir / "metrics.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r.get("gradscope/total_grad_norm")]
    assert [int(r["step"]) for r in rows] == list(range(30))
    for row, step in zip(rows, report.record.steps, strict=True):
        assert float(row["gradscope/total_grad_norm"]) == pytest.approx(step.total_grad_norm, rel=1e-12)
        assert float(row["gradscope/grad_norm/net.2"]) == pytest.approx(step.grad_norm[1], rel=1e-12)
        assert float(row["gradscope/update_ratio/net.4"]) == pytest.approx(step.update_ratio[2], rel=1e-12)


def test_figures_equal_watch_on_the_same_loop(tmp_path: Path) -> None:
    callback = GradscopeCallback()
    fit(Classifier(mlp()), tmp_path / "a", callbacks=[callback], gradient_clip_val=0.5)
    watched = Classifier(mlp(), watch=True)
    fit(watched, tmp_path / "b", gradient_clip_val=0.5)
    mine, theirs = callback.reports[0].record.steps, watched.watcher.probe.records
    assert len(mine) == len(theirs) == 30
    assert figures(mine) == figures(theirs)
    assert [s.loss for s in mine] == [s.loss for s in theirs] == pytest.approx(watched.losses, rel=1e-6)


def test_accumulation_clipping_bf16_leave_weights_bit_identical(tmp_path: Path) -> None:
    options = {"accumulate_grad_batches": 2, "gradient_clip_val": 1.0, "precision": "bf16-mixed", "max_steps": 8}
    plain = Classifier(mlp())
    fit(plain, tmp_path / "plain", **options)
    callback = GradscopeCallback()
    watched = Classifier(mlp())
    fit(watched, tmp_path / "watched", callbacks=[callback], **options)
    for (name, a), b in zip(plain.state_dict().items(), watched.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    steps = callback.reports[0].record.steps
    assert len(steps) == 8
    # A step's loss is the mean of its two micro-batches' training_step losses.
    pairs = [sum(watched.losses[i : i + 2]) / 2 for i in range(0, 16, 2)]
    assert [s.loss for s in steps] == pytest.approx(pairs, rel=1e-6)
    # What the optimizer stepped on was clipped to 1.0 (Lightning clips the accumulated gradient).
    assert max(s.total_grad_norm for s in steps) <= 1.0 + 1e-5


def test_lr_scheduler_moves_the_recorded_learning_rate(tmp_path: Path) -> None:
    callback = GradscopeCallback()
    fit(Classifier(mlp(), scheduler=True), tmp_path, callbacks=[callback], max_steps=4)
    steps = callback.reports[0].record.steps
    assert [s.lr[0] for s in steps] == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert callback.reports[0].record.run.lr == pytest.approx((0.1,))


def test_deep_sigmoid_module_is_reported_vanishing(tmp_path: Path) -> None:
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(16, 64), nn.Sigmoid()]
    for _ in range(10):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    layers.append(nn.Linear(64, 4))
    callback = GradscopeCallback()
    fit(Classifier(nn.Sequential(*layers)), tmp_path, batches(8, width=16, classes=4), callbacks=[callback])
    report = callback.reports[0]
    assert report.verdict == "vanishing"
    assert report.statuses[0] == "vanishing"


class TwoOptimizers(L.LightningModule):
    """Manual optimisation, GAN-style: each optimizer trains its own half on its own loss."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.automatic_optimization = False
        self.first = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
        self.second = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> torch.Tensor:
        x, y = batch
        opt_a, opt_b = self.optimizers()  # type: ignore[misc]
        loss_a = F.cross_entropy(self.first(x), y)
        opt_a.zero_grad()
        self.manual_backward(loss_a)
        opt_a.step()
        loss_b = F.cross_entropy(self.second(x), y)
        opt_b.zero_grad()
        self.manual_backward(loss_b)
        opt_b.step()
        return loss_a + loss_b

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.first.parameters(), lr=1e-2), torch.optim.SGD(self.second.parameters(), lr=0.1)


def test_manual_optimisation_observes_each_optimizer(tmp_path: Path) -> None:
    callback = GradscopeCallback()
    trainer = fit(TwoOptimizers(), tmp_path, callbacks=[callback], max_steps=20)
    first, second = callback.reports
    assert first.record.run.optimizer == "Adam" and second.record.run.optimizer == "SGD"
    # Lightning counts a step per optimizer: 20 steps are 10 batches, each stepping both.
    assert len(first.record.steps) == len(second.record.steps) == 10
    assert [layer.name for layer in first.record.layers] == ["0", "2"]  # the part its optimizer trains
    assert all(status == "healthy" for status in (*first.statuses, *second.statuses))
    for report in (first, second):
        assert all(u > 0 for s in report.record.steps for u in s.update_norm)
    assert {p.name for p in Path(trainer.log_dir).glob("gradscope*.json")} == {"gradscope-0.json", "gradscope-1.json"}


class Poisoned(Classifier):
    """The loss turns NaN from step 3 on."""

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> torch.Tensor:
        loss = super().training_step(batch, index)
        return loss * float("nan") if self.global_step >= 3 else loss


def test_fail_on_nonfinite_ends_the_fit_early_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = GradscopeCallback(fail_on="nonfinite")
    trainer = fit(Poisoned(mlp()), tmp_path, callbacks=[callback])
    assert trainer.global_step == 4  # the NaN step ran; nothing after it
    out = capsys.readouterr().out
    assert "stopping training at step 3" in out and "fail_on='nonfinite'" in out
    assert callback.reports[0].verdict == "nonfinite"
    assert (Path(trainer.log_dir) / "gradscope.json").exists()
    quiet = GradscopeCallback()  # the default only reports
    assert fit(Poisoned(mlp()), tmp_path / "b", callbacks=[quiet], max_steps=8).global_step == 8


def test_options_are_checked_when_the_callback_is_built() -> None:
    for bad in ({"every": 0}, {"memory": "tiny"}, {"fail_on": "error"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            GradscopeCallback(**bad)


def test_every_records_every_kth_step(tmp_path: Path) -> None:
    callback = GradscopeCallback(every=3, memory="low")
    fit(Classifier(mlp()), tmp_path, callbacks=[callback], max_steps=9)
    run = callback.reports[0].record
    assert [s.step for s in run.steps] == [0, 3, 6]
    assert (run.run.every, run.run.memory) == (3, "low")
    assert all(s.loss is not None for s in run.steps)


@pytest.mark.parametrize("package", ["lightning", "pytorch_lightning"])
def test_works_with_either_package(package: str, tmp_path: Path) -> None:
    framework = importlib.import_module(package if package == "pytorch_lightning" else "lightning.pytorch")

    class Tiny(framework.LightningModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], index: int) -> torch.Tensor:
            return F.cross_entropy(self.net(batch[0]), batch[1])

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    callback = GradscopeCallback()
    trainer = framework.Trainer(
        max_steps=3, accelerator="cpu", logger=False, default_root_dir=tmp_path, enable_progress_bar=False,
        enable_model_summary=False, enable_checkpointing=False, callbacks=[callback],
    )  # fmt: skip
    trainer.fit(Tiny(), torch.utils.data.DataLoader(batches(3), batch_size=None))
    assert len(callback.reports[0].record.steps) == 3
    assert (tmp_path / "gradscope.json").exists()


def test_without_lightning_the_import_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("lightning", "lightning.pytorch", "pytorch_lightning"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "gradscope.integrations.lightning")
    with pytest.raises(ImportError) as caught:
        importlib.import_module("gradscope.integrations.lightning")
    message = str(caught.value)
    assert "\n" not in message and "pip install 'torch-gradscope[lightning]'" in message
    monkeypatch.undo()
    importlib.import_module("gradscope.integrations.lightning")


def test_importing_gradscope_imports_no_framework() -> None:
    code = (
        "import sys, gradscope, gradscope.integrations\n"
        "print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning', 'transformers') if m in sys.modules))"
    )
    root = ROOT  # -c puts the working directory first: this checkout
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert done.stdout.strip() == "[]"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="16-mixed needs a CUDA device")
def test_fp16_mixed_on_gpu_leaves_weights_bit_identical(tmp_path: Path) -> None:
    options = {"accelerator": "gpu", "precision": "16-mixed", "gradient_clip_val": 1.0, "max_steps": 8}
    make: Callable[[], Classifier] = lambda: Classifier(mlp())  # noqa: E731
    plain, watched = make(), make()
    fit(plain, tmp_path / "plain", **options)
    callback = GradscopeCallback()
    fit(watched, tmp_path / "watched", callbacks=[callback], **options)
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    steps = callback.reports[0].record.steps
    assert len(steps) + callback.reports[0].record.run.skipped_steps == 8


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    example = next(b for b in blocks if "gradscope.integrations.lightning" in b)
    assert len(example.strip().splitlines()) < 15  # complete, and short
    monkeypatch.chdir(tmp_path)  # it writes where it runs
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    assert list(tmp_path.glob("lightning_logs/version_0/gradscope.json"))
