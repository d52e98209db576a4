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

Watch is a context manager around gradscope.recording.recorder.Recorder, which holds the
lifecycle shared with `diagnose` and the framework callbacks.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import torch
from torch import nn

from gradscope.advice.report import Source, assemble
from gradscope.data.notes import Note, NoteCode, Voice
from gradscope.data.records import Report, RunRecord
from gradscope.probe import Probe, StepLog
from gradscope.recording.recorder import Origin, Recorder
from gradscope.render import json


def report_of(recorder: Recorder, origin: Origin | None = None) -> Report:
    """A recorder's run judged as `watch` reports it: no replays (there is no script), its notes
    said in the words of its door."""
    origin = origin or Origin()
    record = recorder.record(origin)
    source = Source(
        voice=Voice(door=origin.door),
        unverified=Note(NoteCode.NUMBERS_UNVERIFIED, {"why": "no_script"}),
        notes=recorder.notes(record),
    )
    return assemble(record, source)


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
        self.recorder = Recorder(
            model, optimizer, every=every, log=log, memory=memory, scaler=scaler, across_ranks=distributed
        )

    @property
    def model(self) -> nn.Module:
        return self.recorder.model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.recorder.optimizer

    @optimizer.setter
    def optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        # `gradscope run` hooks the same probe to an optimizer the script builds anew.
        self.recorder.optimizer = optimizer

    @property
    def probe(self) -> Probe:
        return self.recorder.probe

    def __enter__(self) -> Watch:
        self.recorder.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.recorder.stop(failed=kind is not None)

    def loss(self, value: Any) -> None:
        """Hand over this iteration's loss, before or after optimizer.step().

        With gradient accumulation, call it for each micro-batch: the losses of
        one optimizer step are averaged. Tensors are not synced here.
        """
        self.recorder.loss(value)

    def policy(self, distribution: Any) -> None:
        """Hand over a `torch.distributions.Categorical` this iteration's loss is built from (a
        policy's): each step's record then carries its entropy as a share of ln K, and the
        diagnosis judges the policy instead of reading progress from a policy-gradient loss.
        One the gradient does not flow through, or of a single action, is not counted. Nothing
        is synced here. (`gradscope run` finds them by itself.)"""
        self.recorder.policy(distribution)

    def record(self) -> RunRecord:
        return self.recorder.record()

    def report(self) -> Report:
        """The same Report as `gradscope diagnose`, without verification (there is no script to replay)."""
        return report_of(self.recorder)

    @property
    def main(self) -> bool:
        """Whether this process speaks for the run: rank 0 of a torch.distributed job, or the only one."""
        return self.recorder.main

    def show(self) -> None:
        """Print the report, on rank 0 only in a torch.distributed job (every rank's report is the same)."""
        if self.main:
            print(self.report())

    def save(self, path: str | Path) -> None:
        """Write the report as JSON (whole or not at all) for `gradscope render`; in a torch.distributed
        job only rank 0 writes (the others' reports are the same)."""
        report = self.report()
        if self.main:
            json.write(report, Path(path))
