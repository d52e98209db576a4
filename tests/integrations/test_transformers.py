"""GradscopeCallback for the Hugging Face Trainer: a tiny GPT-2 built from a config, on the CPU."""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from harness import ROOT

import gradscope
from gradscope.data.records import StepRecord

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from gradscope.integrations.transformers import GradscopeCallback  # noqa: E402

VOCAB, SEQ = 64, 16


@pytest.fixture(autouse=True)
def one_thread() -> Any:
    """Ops this small gain nothing from a second thread, and on a busy machine its spin-waits
    made each run several times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def gpt2() -> GPT2LMHeadModel:
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=VOCAB, n_positions=SEQ))


def tokens(n: int = 64) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        ids = torch.randint(0, VOCAB, (SEQ,), generator=g)
        out.append({"input_ids": ids, "labels": ids.clone()})
    return out


def arguments(tmp_path: Path, **changes: Any) -> TrainingArguments:
    options: dict[str, Any] = {
        "max_steps": 6,
        "per_device_train_batch_size": 8,
        "learning_rate": 5e-3,
        "logging_steps": 3,
    } | changes
    return TrainingArguments(
        output_dir=str(tmp_path),
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
        dataloader_num_workers=0,
        **options,
    )


def train(
    tmp_path: Path, callbacks: list[Any], trainer: type[Trainer] = Trainer, **changes: Any
) -> tuple[Trainer, GPT2LMHeadModel]:
    model = gpt2()
    run = trainer(model=model, args=arguments(tmp_path, **changes), train_dataset=tokens(), callbacks=callbacks)
    run.train()
    return run, model


def figures(steps: tuple[StepRecord, ...] | list[StepRecord]) -> list[tuple[float, ...]]:
    return [(s.total_grad_norm, *s.grad_norm, *s.weight_norm, *s.update_norm) for s in steps]


class Logs(TrainerCallback):  # type: ignore[misc]
    """Keeps every log dict it is shown."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.seen.append(dict(logs or {}))


def test_trainer_writes_the_report_into_output_dir_and_reporters_get_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = GradscopeCallback(plots=True)
    reporter, after = Logs(), Logs()
    model = gpt2()
    trainer = Trainer(model=model, args=arguments(tmp_path), train_dataset=tokens(), callbacks=[callback, after])
    # Where report_to's callbacks sit: after the default flow, before the console printer.
    trainer.callback_handler.callbacks.insert(1, reporter)
    trainer.train()
    saved = json.loads((tmp_path / "gradscope.json").read_text())
    assert saved["run"]["steps"] == 6 and saved["run"]["loss_source"] == "transformers"
    assert saved["layers"][0]["name"] == "transformer.wte" and "lm_head" in saved["layers"][0]["shared_with"]
    assert list((tmp_path / "gradscope_plots").glob("*.png"))
    report = callback.reports[0]
    assert report.verdict == "healthy"
    logged = [logs for logs in reporter.seen if "loss" in logs]
    assert len(logged) == 2  # logging_steps=3 of 6
    for logs, step in zip(logged, (report.record.steps[2], report.record.steps[5]), strict=True):
        assert logs["gradscope/total_grad_norm"] == pytest.approx(step.total_grad_norm, rel=1e-12)
        assert logs["gradscope/grad_norm/transformer.h.1.mlp.c_fc"] == pytest.approx(step.grad_norm[12], rel=1e-12)
        assert logs["gradscope/update_ratio/transformer.wte"] == pytest.approx(step.update_ratio[0], rel=1e-12)
        # The Trainer's own gradient norm (before its clipping at 1.0) is the total gradscope saw.
        assert logs["grad_norm"] == pytest.approx(step.total_grad_norm, rel=1e-4)
    # The user's other callbacks get them too; the console printer, which the Trainer puts last, does not.
    assert [logs["gradscope/total_grad_norm"] for logs in after.seen if "loss" in logs] == [
        logs["gradscope/total_grad_norm"] for logs in logged
    ]
    out = capsys.readouterr().out
    assert "gradscope/grad_norm" not in out and out.count("verdict:") == 1
    assert str(tmp_path / "gradscope.json") in out
    assert "training_step" not in vars(trainer)  # the loss reader is taken off again


def test_weights_bit_identical_with_and_without_the_callback(tmp_path: Path) -> None:
    options = {"gradient_accumulation_steps": 2, "max_grad_norm": 0.5, "max_steps": 6}
    _, plain = train(tmp_path / "plain", [], **options)
    callback = GradscopeCallback()
    _, watched = train(tmp_path / "watched", [callback], **options)
    for (name, a), b in zip(plain.state_dict().items(), watched.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    steps = callback.reports[0].record.steps
    assert len(steps) == 6 and all(s.total_grad_norm <= 0.5 + 1e-5 for s in steps)


class Watched(Trainer):  # type: ignore[misc]
    """The same Trainer loop recorded by gradscope.watch instead of the callback."""

    watch: Any = None

    def training_step(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        loss = super().training_step(*args, **kwargs)
        self.watch.loss(loss)
        return loss


class Watch(TrainerCallback):  # type: ignore[misc]
    def __init__(self, trainer: list[Watched]) -> None:
        self.trainer = trainer

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        inner = kwargs["optimizer"].optimizer  # accelerate's wrapper around the torch optimizer
        self.trainer[0].watch = gradscope.watch(kwargs["model"], inner).__enter__()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.trainer[0].watch.__exit__(None, None, None)


def test_figures_equal_watch_on_the_same_loop(tmp_path: Path) -> None:
    callback = GradscopeCallback()
    train(tmp_path / "a", [callback])
    holder: list[Watched] = []
    model = gpt2()
    watched = Watched(model=model, args=arguments(tmp_path / "b"), train_dataset=tokens(), callbacks=[Watch(holder)])
    holder.append(watched)
    watched.train()
    mine, theirs = callback.reports[0].record.steps, watched.watch.probe.records
    assert len(mine) == len(theirs) == 6
    assert figures(mine) == figures(theirs)
    assert [s.loss for s in mine] == pytest.approx([s.loss for s in theirs], rel=1e-12)


def test_a_learning_rate_whose_loss_spikes_is_reported_unstable(tmp_path: Path) -> None:
    # (The first test's run, at 5e-3, is reported healthy.)
    spiking = GradscopeCallback()
    train(tmp_path, [spiking], learning_rate=1.0)
    report = spiking.reports[0]
    losses = report.record.losses()
    assert max(losses) > 2 * losses[0]
    assert report.verdict == "unstable"
    assert "GS301" in {f.code for f in report.findings if f.withdrawn is None}


class LateOptimizer(TrainerCallback):  # type: ignore[misc]
    """Hides the optimizer from the callbacks until the first step has begun, as set-ups that
    make it late do."""

    def __init__(self, trainer: list[Trainer]) -> None:
        self.trainer = trainer

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.trainer[0].callback_handler.optimizer = None

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.trainer[0].callback_handler.optimizer = self.trainer[0].optimizer


def test_attaches_when_the_optimizer_appears(tmp_path: Path) -> None:
    callback = GradscopeCallback()
    holder: list[Trainer] = []
    trainer = Trainer(
        model=gpt2(), args=arguments(tmp_path, max_steps=4), train_dataset=tokens(),
        callbacks=[LateOptimizer(holder), callback],
    )  # fmt: skip
    holder.append(trainer)
    trainer.train()
    steps = callback.reports[0].record.steps
    assert len(steps) == 4 and all(s.loss is not None and math.isfinite(s.loss) for s in steps)


class Poisoned(Trainer):  # type: ignore[misc]
    def compute_loss(self, *args: Any, **kwargs: Any) -> Any:
        loss = super().compute_loss(*args, **kwargs)
        return loss * float("nan") if self.state.global_step >= 3 else loss


def test_fail_on_nonfinite_stops_training_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    callback = GradscopeCallback(fail_on="nonfinite")
    trainer, _ = train(tmp_path, [callback], trainer=Poisoned)
    assert trainer.state.global_step == 4
    assert "stopping training at step 3" in capsys.readouterr().out
    assert callback.reports[0].verdict == "nonfinite"
    assert (tmp_path / "gradscope.json").exists()


def test_without_transformers_the_import_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.delitem(sys.modules, "gradscope.integrations.transformers")
    with pytest.raises(ImportError) as caught:
        importlib.import_module("gradscope.integrations.transformers")
    message = str(caught.value)
    assert "\n" not in message and "pip install 'torch-gradscope[transformers]'" in message


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    example = next(b for b in blocks if "gradscope.integrations.transformers" in b)
    assert len(example.strip().splitlines()) < 15  # complete, and short
    monkeypatch.chdir(tmp_path)  # it writes where it runs
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    assert (tmp_path / "out" / "gradscope.json").exists()
