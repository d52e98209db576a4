"""gradscope.watch (this module holds its Watch class): the diagnose engine inside a user's own training loop.

    with gradscope.watch(model, optimizer) as w:
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            optimizer.step()
    print(w.report().verdict)

The watch only observes: it attaches optimizer step hooks (the same Probe that
`gradscope diagnose` uses), reads gradients and weights, and never writes to
them. On exit, also when the loop raises, the hooks are removed and every
module's train/eval mode is put back as it was on entry.

In a torch.distributed job (DDP, FSDP2) every rank runs the same `with` block; the
figures of each recorded step are made the job's in one collective (see
gradscope/probe/distributed.py), so every rank's report is the same, and only rank 0
prints (`show`) and saves.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch import nn

from gradscope import __version__
from gradscope.probe import Probe, StepLog
from gradscope.types import LayerInfo, Report, RunInfo, RunRecord


class Watch:
    """Records gradient health of `model` at every `every`-th `optimizer.step()`.

    every:  record every k-th optimizer step; the other steps cost nothing.
    log:    called as log(step, figures) after each recorded step, for your own logger.
    memory: "exact" keeps one copy of the trainable weights to measure updates;
            "low" keeps a fixed strided sample of each large tensor (<1% extra).
    scaler: the torch.amp.GradScaler of the loop, so steps it skips are counted.
    distributed: in a torch.distributed job, every rank runs the watch and the figures are the
            job's (one collective per recorded step); False measures this process alone, for a
            watch that not every rank runs.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        every: int = 1,
        log: StepLog | None = None,
        memory: str = "exact",
        scaler: Any = None,
        distributed: bool = True,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch() needs an nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"watch() needs a torch.optim.Optimizer, got {type(optimizer).__name__}")
        self.model = model
        self.optimizer = optimizer
        self.probe = Probe(
            model, optimizer, every=every, memory=memory, log=log, scaler=scaler, across_ranks=distributed
        )
        self._modes: list[tuple[nn.Module, bool]] = []
        self._started = 0.0
        self._wall = 0.0
        self._losses_given = False

    def __enter__(self) -> Watch:
        self._modes = [(m, m.training) for m in self.model.modules()]
        self._started = time.perf_counter()
        self.probe.attach()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self.probe.finish()
        finally:
            self.probe.detach()
            for module, training in self._modes:
                # Only where it changed: Module.__setattr__ costs ~1 us (0.8 ms on a 900-module model).
                if module.training is not training:
                    module.training = training
            if kind is None and self.probe.device.type == "cuda":
                # Queued GPU work belongs to the watched time (with every > 1 nothing else waits
                # for it). Not after an exception: a CUDA error would replace the user's.
                torch.cuda.synchronize(self.probe.device)
            self._wall = time.perf_counter() - self._started

    def loss(self, value: Any) -> None:
        """Hand over this iteration's loss, before or after optimizer.step().

        With gradient accumulation, call it for each micro-batch: the losses of
        one optimizer step are averaged. Tensors are not synced here.
        """
        self._losses_given = True
        self.probe.add_loss(value)

    def record(self) -> RunRecord:
        probe = self.probe
        probe.resolve_losses()
        records = probe.records
        first = next((p for p in probe.layout.tracked), None)
        if any(r.loss is not None for r in records):
            source = "closure" if not self._losses_given else "watch"
        else:
            source = "none"
        run = RunInfo(
            script=None,
            steps=len(records),
            seed=None,
            device=str(first.device) if first is not None else "cpu",
            dtype=str(first.dtype).replace("torch.", "") if first is not None else "float32",
            optimizer=type(self.optimizer).__name__,
            lr=records[0].lr if records else tuple(float(g["lr"]) for g in self.optimizer.param_groups),
            torch=torch.__version__,
            gradscope=__version__,
            wall_s=round(self._wall or (time.perf_counter() - self._started), 3),
            total_params=sum(p.numel() for p in self.model.parameters()),
            trainable_params=sum(p.numel() for p in self.model.parameters() if p.requires_grad),
            skipped_steps=probe.skipped,
            loss_source=source,
            every=probe.every,
            memory=probe.memory,
        )
        return RunRecord(run=run, layers=self._layers_now(), steps=tuple(records))

    def _layers_now(self) -> tuple[LayerInfo, ...]:
        """Layers as the optimizer holds them now: a group added with add_param_group during
        the loop makes its layers optimised, not "never moving"."""
        held = {id(p) for group in self.optimizer.param_groups for p in group["params"]}
        # The probe's model: under DDP the wrapped module, whose names the layers carry.
        params = dict(self.probe.model.named_parameters(remove_duplicate=False))
        out = []
        for layer in self.probe.layout.layers:
            trainable = [params[n] for n in layer.param_names if n in params and params[n].requires_grad]
            optimized = all(id(p) in held for p in trainable)
            out.append(layer if optimized == layer.optimized else replace(layer, optimized=optimized))
        return tuple(out)

    def report(self) -> Report:
        """The same Report as `gradscope diagnose`, without verification (there is no script to replay)."""
        from gradscope.report import build_report

        record = self.record()
        extra_notes: list[str] = []
        if not record.steps:
            extra_notes.append("no optimizer step was recorded inside the watch, so nothing was judged")
        if record.run.skipped_steps:
            extra_notes.append(
                f"GradScaler skipped {record.run.skipped_steps} step(s) on inf/NaN gradients; "
                "they are counted, not recorded as updates"
            )
        replaced = self.probe.replaced()
        if replaced:
            extra_notes.append(
                f"a parameter's storage was replaced inside the watch (p.data = ...) in {', '.join(replaced)}; "
                "gradscope kept reading the old tensor, so those layers' figures after the swap are not "
                "the model's: start a new watch after such a swap"
            )
        return build_report(record, None, replay=False, notes=tuple(extra_notes))

    @property
    def main(self) -> bool:
        """Whether this process speaks for the run: rank 0 of a torch.distributed job, or the only one."""
        ranks = self.probe.ranks
        if ranks is None:
            return True
        import torch.distributed as dist

        return dist.get_rank() == 0

    def show(self) -> None:
        """Print the report, on rank 0 only in a torch.distributed job (every rank's report is the same)."""
        if self.main:
            print(self.report())

    def save(self, path: str | Path) -> None:
        """Write the report as JSON (whole or not at all) for `gradscope render`; in a torch.distributed
        job only rank 0 writes (the others' reports are the same)."""
        from gradscope.render import json

        if self.main:
            json.write(self.report(), Path(path))
