"""The one recorder behind every door: `watch`, `diagnose` and the framework callbacks.

A Recorder owns a Probe on one model and optimizer and runs it through one
lifecycle: `start()` attaches the step hooks, `loss(value)` hands over a loss,
`stop()` detaches them and puts every module's train/eval mode back, and then
`record()` turns what was measured into a RunRecord, and `notes()` says how the
recording went. It builds no report: a door hands its record to
gradscope.advice.report.assemble, the one place a Report is made.
`run_info()` is the only place the run's metadata (RunInfo) is assembled; what a
recorder cannot see (the script, the seed, where the loss came from under
`diagnose`) it is told through an Origin.

The doors differ only in who drives the lifecycle: `gradscope.watch` is a context
manager around it, `diagnose`'s session starts and stops it around the script's
steps, and each callback under `gradscope.integrations` does so from its
framework's hooks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from gradscope import __version__
from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import LayerInfo, RunInfo, RunRecord
from gradscope.probe import Probe, StepLog, rates


@dataclass(frozen=True)
class Origin:
    """What a record says about where its run came from, beyond what the probe saw.

    door:        who recorded it; names the loss source when the caller handed losses over
                 ("watch", "lightning", "transformers").
    loss_source: set by `diagnose`, whose script's loss reaches the probe either way (handed
                 over, or returned by a closure optimizer); None: worked out from the record.
    budget_s:    the time budget `diagnose` planned the run in (None: none).
    partial:     the run was stopped early (Ctrl-C, SIGTERM, the budget); `cut` says which
                 phase was cut short and how far it had got.
    """

    door: str = "watch"
    script: str | None = None
    seed: int | None = None
    default_optimizer: bool = False
    loss_source: str | None = None
    classes: int | None = None
    budget_s: float | None = None
    partial: bool = False
    cut: str | None = None
    precision: str | None = None  # the precision the steps ran in (Lightning's names), when said


class Recorder:
    """Gradient health of `model` at every `every`-th step of `optimizer` (see gradscope.doors.watch.Watch
    for the options; `across_ranks` is its `distributed`); `start()` and `stop()` may alternate
    any number of times."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        every: int = 1,
        log: StepLog | None = None,
        memory: str = "exact",
        scaler: Any = None,
        loss_after_step: bool | None = None,
        across_ranks: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch() needs an nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"watch() needs a torch.optim.Optimizer, got {type(optimizer).__name__}")
        self.model = model
        self.optimizer = optimizer
        self.probe = Probe(
            model,
            optimizer,
            every=every,
            memory=memory,
            log=log,
            scaler=scaler,
            across_ranks=across_ranks,
            loss_after_step=loss_after_step,
        )
        self._modes: list[tuple[nn.Module, bool]] = []
        self._started = 0.0
        self._wall = 0.0
        self._losses_given = False

    @property
    def losses_given(self) -> bool:
        return self._losses_given

    @property
    def main(self) -> bool:
        """Whether this process speaks for the run: rank 0 of a torch.distributed job, or the only one."""
        if self.probe.ranks is None:
            return True
        return dist.get_rank() == 0

    def start(self) -> None:
        self._modes = [(m, m.training) for m in self.model.modules()]
        self._started = time.perf_counter()
        self.probe.attach()

    def loss(self, value: Any) -> None:
        """Hand over a loss (see Watch.loss); tensors are not synced here."""
        self._losses_given = True
        self.probe.add_loss(value)

    def policy(self, distribution: Any) -> None:
        """Hand over a policy's distribution (see Watch.policy); nothing is synced here."""
        self.probe.add_policy(distribution)

    def stop(self, *, failed: bool = False) -> None:
        """Detach, restore train/eval modes, stop the clock; also after the loop raised (`failed`)."""
        try:
            self.probe.finish()
        finally:
            self.probe.detach()
            for module, training in self._modes:
                # Only where it changed: Module.__setattr__ costs ~1 us (0.8 ms on a 900-module model).
                if module.training is not training:
                    module.training = training
            if not failed and self.probe.device.type == "cuda":
                # Queued GPU work belongs to the recorded time (with every > 1 nothing else waits
                # for it). Not after an exception: a CUDA error would replace the user's.
                torch.cuda.synchronize(self.probe.device)
            self._wall = time.perf_counter() - self._started

    def record(self, origin: Origin | None = None) -> RunRecord:
        self.probe.resolve_losses()
        wall = self._wall or (time.perf_counter() - self._started)
        run = run_info(self, origin or Origin(), wall_s=wall)
        return RunRecord(run=run, layers=self._layers_now(), steps=tuple(self.probe.records))

    def _layers_now(self) -> tuple[LayerInfo, ...]:
        """Layers as the optimizer holds them now: a group added with add_param_group during
        the run makes its layers optimised, not "never moving"."""
        held = {id(p) for group in self.optimizer.param_groups for p in group["params"]}
        # The probe's model: under DDP the wrapped module, whose names the layers carry.
        params = dict(self.probe.model.named_parameters(remove_duplicate=False))
        out = []
        for layer in self.probe.layout.layers:
            trainable = [params[n] for n in layer.param_names if n in params and params[n].requires_grad]
            optimized = all(id(p) in held for p in trainable)
            out.append(layer if optimized == layer.optimized else replace(layer, optimized=optimized))
        return tuple(out)

    def notes(self, record: RunRecord) -> tuple[Note, ...]:
        """What the report should say about how this recording went."""
        out: list[Note] = []
        if not record.steps:
            out.append(Note(NoteCode.NOTHING_RECORDED))
        if record.run.skipped_steps:
            out.append(Note(NoteCode.SCALER_SKIPPED, {"steps": record.run.skipped_steps}))
        replaced = self.probe.replaced()
        if replaced:
            out.append(Note(NoteCode.STORAGE_REPLACED, {"layers": list(replaced)}))
        return tuple(out)


def run_info(recorder: Recorder, origin: Origin, *, wall_s: float) -> RunInfo:
    """The run's metadata: the one builder behind every door."""
    probe, model, optimizer = recorder.probe, recorder.model, recorder.optimizer
    records = probe.records
    first = next(iter(probe.layout.tracked), None)
    loss_source = origin.loss_source
    if loss_source is None:
        if not any(r.loss is not None for r in records):
            loss_source = "none"
        else:
            # Losses in the record that nobody handed over came from a closure optimizer.
            loss_source = origin.door if recorder.losses_given else "closure"
    return RunInfo(
        script=origin.script,
        steps=len(records),
        seed=origin.seed,
        device=str(first.device) if first is not None else "cpu",
        dtype=str(first.dtype).replace("torch.", "") if first is not None else "float32",
        optimizer=type(optimizer).__name__,
        # The learning rates the run started with: a scheduler may have moved them since.
        lr=records[0].lr if records else tuple(float(v) for v in rates.read(optimizer)),
        lr_kind=rates.kind(optimizer),
        torch=torch.__version__,
        gradscope=__version__,
        wall_s=round(wall_s, 3),
        default_optimizer=origin.default_optimizer,
        total_params=sum(p.numel() for p in model.parameters()),
        trainable_params=sum(p.numel() for p in model.parameters() if p.requires_grad),
        skipped_steps=probe.skipped,
        loss_source=loss_source,
        every=probe.every,
        memory=probe.memory,
        classes=origin.classes,
        partial=origin.partial,
        cut=origin.cut,
        budget_s=origin.budget_s,
        precision=origin.precision,
        loss_scales=tuple(probe.skips.scales),
        scaler_iterations=probe.skips.iterations,
    )
