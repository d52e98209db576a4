"""gradscope inside training frameworks: one callback module per framework.

Each module here (`lightning.py`, `transformers.py`) is a thin adapter: it
imports its framework, finds the model, optimizer(s) and loss in the
framework's hooks, and drives a `Recordings` (below) through the recorder's
lifecycle: attach when the optimizers exist, hand over each step's loss after
the step, log the figures, and write the report at the end of training.
Importing this package imports no framework and no torch.

Adding a third integration is one new file `gradscope/integrations/<name>.py`
plus its test: import the framework with `require(...)` (naming the extra to
install), subclass the framework's callback, and call `Recordings.attach`,
`.stepping`, `.hand_loss`, `.poll`, `.metrics`, `.stop_reason` and `.finish` from its hooks.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from gradscope import DISTRIBUTION

if TYPE_CHECKING:
    import torch
    from torch import nn

    from gradscope.data.records import LayerInfo, Report, StepRecord
    from gradscope.recording.recorder import Recorder

FAIL_ON = ("never", "nonfinite")
WRAPPERS = ("accelerate", "lightning", "pytorch_lightning")
METRIC_PREFIX = "gradscope"


def require(modules: Sequence[str], extra: str) -> ModuleType:
    """The first of `modules` that imports; else an ImportError whose one line names the extra."""
    for name in modules:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    wanted = " or ".join(f"`{m}`" for m in modules)
    raise ImportError(
        f"gradscope's {extra} callback needs {wanted}, which is not installed: pip install '{DISTRIBUTION}[{extra}]'"
    ) from None


@dataclass(frozen=True)
class Options:
    """What every callback accepts.

    every:   record every k-th optimizer step (the others cost nothing).
    memory:  "exact" or "low", as for gradscope.watch.
    plots:   also write the report's PNG plots beside gradscope.json.
    fail_on: "nonfinite" ends training early, with a message, at the first recorded step with a
             NaN/Inf gradient or weight; "never" only reports it at the end.
    """

    every: int = 1
    memory: str = "exact"
    plots: bool = False
    fail_on: str = "never"

    def __post_init__(self) -> None:
        # Checked here, when the callback is built, not at the first step of a long run.
        if not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every must be an int >= 1 (got {self.every!r})")
        if self.memory not in ("exact", "low"):
            raise ValueError(f'memory must be "exact" or "low" (got {self.memory!r})')
        if self.fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(map(repr, FAIL_ON))} (got {self.fail_on!r})")


def scope_of(model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[str, nn.Module]:
    """The smallest submodule holding every parameter of `optimizer`, and its path.

    With several optimizers (a GAN's generator and discriminator) each recorder watches the
    part its optimizer trains; watched whole, the other part would read as not optimised.
    """
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    best: tuple[str, nn.Module] = ("", model)
    for name, module in model.named_modules():
        if held <= {id(p) for p in module.parameters()}:
            best = (name, module)  # named_modules lists parents first: the last match is the deepest
    return best


def metrics(record: StepRecord, layers: Sequence[LayerInfo], scope: str = "") -> dict[str, float]:
    """One recorded step's figures as flat, grouped metric names for a framework's loggers:
    gradscope/grad_norm/<layer>, gradscope/update_ratio/<layer>, gradscope/total_grad_norm
    (layer names prefixed by the scope, the part of the model one of several optimizers trains)."""
    total = f"{METRIC_PREFIX}/total_grad_norm" + (f"/{scope}" if scope else "")
    out = {total: record.total_grad_norm}
    for layer, grad, ratio in zip(layers, record.grad_norm, record.update_ratio, strict=True):
        name = layer.name if not scope else (scope if layer.name == "(root)" else f"{scope}.{layer.name}")
        out[f"{METRIC_PREFIX}/grad_norm/{name}"] = grad
        out[f"{METRIC_PREFIX}/update_ratio/{name}"] = ratio
    return out


def nonfinite_layers(record: StepRecord, layers: Sequence[LayerInfo]) -> list[str]:
    """Layers with a NaN/Inf gradient or weight at one recorded step (the probe counted them)."""
    if math.isfinite(record.total_grad_norm) and not any(record.nonfinite_weight):
        return []  # the common case, without a look at every layer
    bad = [
        layer.name
        for layer, g, w, norm in zip(
            layers, record.nonfinite_grad, record.nonfinite_weight, record.grad_norm, strict=True
        )
        if g or w or not math.isfinite(norm)
    ]
    return bad or ["(total)"]


class Recordings:
    """The recorders of one training run, one per optimizer, and what its callback needs of them."""

    def __init__(self, options: Options, door: str) -> None:
        self.options = options
        self.door = door
        self.recorders: list[Recorder] = []
        self.scopes: list[str] = []
        self._stepping: set[int] = set()  # indices of the optimizers stepped since the last hand-over
        self._seen: list[int] = []  # per recorder: how many of its records poll() has looked at
        self._latest: dict[int, StepRecord] = {}  # per recorder: its latest record not yet in metrics()
        self.stop_reason: str | None = None
        self.last_step = -1  # the index of the last recorded step (of any optimizer)
        self.reports: list[Report] = []

    @property
    def attached(self) -> bool:
        return bool(self.recorders)

    def attach(self, model: nn.Module, optimizers: Sequence[torch.optim.Optimizer], scaler: Any = None) -> None:
        """Start one recorder per optimizer (framework wrappers unwrapped to the torch optimizer)."""
        import torch

        from gradscope.recording.recorder import Recorder

        self.detach()
        self.stop_reason = None
        self.reports = []
        for wrapped in optimizers:
            optimizer = unwrap(wrapped)
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise TypeError(f"gradscope can only watch a torch.optim.Optimizer, got {type(wrapped).__name__}")
            scope, module = scope_of(model, optimizer) if len(optimizers) > 1 else ("", model)
            recorder = Recorder(
                module,
                optimizer,
                every=self.options.every,
                memory=self.options.memory,
                scaler=scaler,
                loss_after_step=True,
            )
            self.recorders.append(recorder)
            self.scopes.append(scope)
            self._seen.append(0)
            recorder.start()

    def poll(self) -> None:
        """Look at the steps recorded since the last poll (call it after the framework's steps):
        note the last one's index, and check them for NaN/Inf when fail_on asks to.

        Polled rather than called back from the probe, so a step costs the callback nothing
        beyond watch's own: the metrics are only built when a logger asks for them."""
        for index, recorder in enumerate(self.recorders):
            records = recorder.probe.records
            new = records[self._seen[index] :]
            if not new:
                continue
            self._seen[index] = len(records)
            self._latest[index] = new[-1]
            self.last_step = new[-1].step
            if self.options.fail_on == "nonfinite" and self.stop_reason is None:
                layers = recorder.probe.layout.layers
                for record in new:
                    bad = nonfinite_layers(record, layers)
                    if bad:
                        which = f" of optimizer {index}" if len(self.recorders) > 1 else ""
                        self.stop_reason = (
                            f"gradscope: stopping training at step {record.step}{which}: NaN/Inf gradient or weight "
                            f"in {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''} (fail_on='nonfinite')"
                        )
                        break

    def index_of(self, optimizer: Any) -> int | None:
        inner = unwrap(optimizer)
        return next((i for i, r in enumerate(self.recorders) if r.optimizer is inner), None)

    def stepping(self, optimizer: Any) -> None:
        """The framework is about to step `optimizer`: the losses gathered so far are its step's."""
        index = self.index_of(optimizer)
        if index is not None:
            self._stepping.add(index)

    @property
    def stepped(self) -> bool:
        """Whether some optimizer stepped since the last hand-over."""
        return bool(self._stepping)

    def hand_loss(self, value: Any) -> None:
        """Give `value` (one step's loss; None: no loss) to every optimizer stepped since the
        last hand-over.

        Handed after the step, so the probe attaches it to that step's record (a step that
        GradScaler skipped gets none). Optimizers that did not step keep waiting.
        """
        if value is not None:
            for index in sorted(self._stepping):
                self.recorders[index].loss(value)
        self._stepping.clear()

    @staticmethod
    def mean_loss(values: Sequence[Any]) -> Any:
        """The mean of one step's micro-batch losses (None if there are none), on their device
        without a sync, in float64 as the probe averages several losses handed to a watch."""
        # Late: importing this package must not import torch (the probe does).
        from gradscope.probe.losses import combined

        return combined(values, "mean") if values else None

    def metrics(self) -> dict[str, float]:
        """The figures of the latest step recorded since the last call (per optimizer), then forgotten."""
        self.poll()
        out: dict[str, float] = {}
        for index, record in self._latest.items():
            recorder = self.recorders[index]
            out.update(metrics(record, recorder.probe.layout.layers, self.scopes[index]))
        self._latest = {}
        return out

    def detach(self, *, failed: bool = False) -> None:
        for recorder in self.recorders:
            recorder.stop(failed=failed)
        self.recorders, self.scopes, self._seen, self._latest = [], [], [], {}
        self._stepping.clear()

    def finish(self, directory: Path | None, *, show: bool) -> list[Report]:
        """Stop every recorder; build its report; when `show` (rank 0), print it and write
        gradscope.json (gradscope-<i>.json with several optimizers) and plots into `directory`."""
        # Late: importing this package must not import torch (the recorder and watch do).
        from gradscope.doors.watch import report_of
        from gradscope.recording.recorder import Origin

        recorders, scopes = self.recorders, self.scopes
        for recorder in recorders:
            recorder.stop()
        self.recorders, self.scopes, self._seen, self._latest = [], [], [], {}
        origin = Origin(door=self.door)
        reports = [report_of(recorder, origin) for recorder in recorders]
        self.reports = reports
        # Rank 0 of a torch.distributed job speaks for it, by the framework's word and the recorders'.
        if not show or not all(recorder.main for recorder in recorders):
            return reports
        from gradscope.render import write_outputs
        from gradscope.render.terminal import print_report

        for index, (report, scope) in enumerate(zip(reports, scopes, strict=True)):
            several = len(reports) > 1
            if several:
                part = f" on {scope}" if scope else ""
                print(f"gradscope: optimizer {index} ({report.record.run.optimizer}){part}")
            print_report(report)
            if directory is not None:
                stem = f"gradscope-{index}" if several else "gradscope"
                plots = directory / f"{stem}_plots" if self.options.plots else None
                write_outputs(report, {"json": directory / f"{stem}.json", "plots": plots})
                print(f"gradscope: report written to {directory / f'{stem}.json'}")
        return reports


def unwrap(optimizer: Any) -> Any:
    """The torch optimizer inside a framework's wrapper (accelerate's AcceleratedOptimizer,
    Lightning's LightningOptimizer), whose step() runs the probe's hooks. Only these packages'
    wrappers are opened: an optimizer such as Lookahead also holds an inner `.optimizer`, but
    its own step() is the one that updates the weights."""
    while type(optimizer).__module__.split(".")[0] in WRAPPERS and getattr(optimizer, "optimizer", None) is not None:
        optimizer = optimizer.optimizer
    return optimizer
