"""The observer of `gradscope run`: what the script does, seen from outside, made into a report.

While the script runs, the patches (patches.py) tell the observer of every
backward() and optimizer step. Each optimizer is found when it first steps:
its parameters are traced to the models holding them (models.py), and a `Watch`
on that model and optimizer does the measuring, as `gradscope.watch` would
inside the loop. The loss finder (losses.py) hands each step its loss, and the
stopping rules (stopping.py) end the script when it has been measured.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import torch

from gradscope.advice.report import Source, assemble
from gradscope.config import ScriptRun
from gradscope.data.notes import Note, NoteCode, Voice
from gradscope.data.records import Report
from gradscope.doors.run import models
from gradscope.doors.run.losses import LossFinder
from gradscope.doors.run.merge import Observed, merge
from gradscope.doors.run.patches import Patches
from gradscope.doors.run.stopping import Stopping
from gradscope.doors.watch import Watch
from gradscope.probe.policies import Entropies, learns_from

# Draws from a Categorical without gradient between two steps that make a rollout (stable-
# baselines3's A2C acts 5 times a step by default; data drawn for a batch is one draw).
ACTING_DRAWS = 3


@dataclass
class Observer:
    """Global hooks on every optimizer's step and on backward() while the script runs."""

    steps: int | None
    every: int
    budget: float | None = None
    observed: list[Observed] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # class names of the optimizers constructed
    # Under torchrun every rank runs gradscope; each rank's figures are the job's (the watch reduces
    # them), and only rank 0 prints and writes. Asked when a model is first seen: the script may
    # destroy its process group before it ends.
    main: bool = True

    def __post_init__(self) -> None:
        self.stopping = Stopping(self.steps, self.budget)
        self.losses = LossFinder()
        self.entropies = Entropies()
        # Whether the script acts: it drew from a Categorical the gradient flows through (REINFORCE
        # samples its action from the distribution it scores), or drew ACTING_DRAWS times between
        # two steps without one (a rollout, one environment step at a time). Only then are its
        # distributions a policy's: a classifier scores its labels with Categorical.log_prob, and
        # data drawn once (or once a step) from a Categorical or a mixture is no acting. A policy
        # acts before its first step, so this is known by the time a step is recorded.
        self.acting = False
        self._draws = 0  # without gradient, since the last step
        self.models = models.Models()
        self._patches = Patches(self)
        self._alive: weakref.WeakSet[torch.optim.Optimizer] = weakref.WeakSet()
        self._scaler: torch.amp.GradScaler | None = None  # so the probe counts the steps it skips
        self._skips: dict[int, int] = {}  # id(Observed) -> steps GradScaler skipped

    @property
    def stopped(self) -> bool:
        return self.stopping.stopped

    @property
    def out_of_time(self) -> bool:
        return self.stopping.out_of_time

    @property
    def backward_calls(self) -> int:
        return self.stopping.backward_calls

    @property
    def classes(self) -> int | None:
        """Of the cross-entropy the script's loss is, when it is one."""
        return self.losses.classes

    def __enter__(self) -> Observer:
        self._patches.install()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._patches.uninstall()
        self.losses.drop()
        self.entropies.drop()
        for o in self.observed:
            o.watch.__exit__(None, None, None)

    # -- what the patches see (patches.Listener) ------------------------------------------------
    def backward(self, tensors: Any) -> None:
        self.stopping.backward()
        self.losses.backward(tensors, self.stopping.backward_calls)

    def distribution(self, distribution: Any) -> None:
        self.entropies.add(distribution)

    def sampled(self, distribution: Any) -> None:
        self._draws += 1
        self.acting = self.acting or learns_from(distribution) or self._draws >= ACTING_DRAWS

    def constructed(self, optimizer: torch.optim.Optimizer) -> None:
        self.created.append(type(optimizer).__name__)
        self._alive.add(optimizer)

    def scaled(self, scaler: torch.amp.GradScaler, outputs: Any, scaled: Any) -> None:
        self._scaler = scaler
        self.losses.scaled(outputs, scaled)

    def steps_taken(self) -> int:
        return self.stopping.steps_taken

    def step_skipped(self, optimizer: torch.optim.Optimizer) -> None:
        """GradScaler skipped `optimizer`'s step: its losses belong to no step; the optimizer is
        observed all the same (a float16 run whose scaler skips every step is a finding, not a
        script that never stepped), and its skips count towards --steps."""
        self.losses.drop()
        self.entropies.drop()  # of a step not taken, as the fused path drops them
        found = next((o for o in self.observed if o.optimizer is optimizer), None)
        if found is None:
            found = self._observe(optimizer)
        self._skips[id(found)] = self._skips.get(id(found), 0) + 1
        self.stopping.step_ended([len(o.watch.probe.records) + self._skips.get(id(o), 0) for o in self.observed])

    def pre_step(self, optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        self.stopping.step_begins()
        found = next((o for o in self.observed if o.optimizer is optimizer), None)
        if found is None:
            found = self._observe(optimizer)
        self.stopping.step_taken()
        loss = self.losses.take(optimizer)
        if loss is not None:
            found.watch.probe.set_step_loss(loss)
        self._draws = 0
        entropy = self.entropies.take(found.watch.probe.device)
        found.watch.probe.set_step_entropy(entropy if self.acting else None)
        self.losses.stepping = True

    def post_step(self, _optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        self.losses.stepping = False
        self.stopping.step_ended([len(o.watch.probe.records) for o in self.observed])

    def _observe(self, optimizer: torch.optim.Optimizer) -> Observed:
        held = frozenset(id(p) for g in optimizer.param_groups for p in g["params"])
        earlier = next((o for o in self.observed if o.held == held), None)
        if earlier is not None:
            return models.renew(earlier, optimizer)
        model, named, prefixed = self.models.view(optimizer, held, self._alive)
        watch = Watch(model, optimizer, every=self.every, scaler=self._scaler)
        watch.__enter__()
        # Without a process group yet (made after the first step), torchrun's RANK still says
        # which process speaks: its figures are then this rank's own, but the files are written once.
        alone = watch.probe.ranks is None and os.environ.get("RANK", "0") != "0"
        self.main = self.main and watch.main and not alone
        label = models.script_name(optimizer, f"{type(optimizer).__name__} #{len(self.observed) + 1}")
        observed = Observed(optimizer, watch, label, named, prefixed, held)
        self.observed.append(observed)
        return observed

    # -- the report ----------------------------------------------------------------------
    def report(self, run: ScriptRun, wall: float, interrupted: str | None = None) -> Report:
        """The run judged: the watches' records merged, the notes only the run door knows, no replays
        (gradscope run cannot replay the script's own loop). `interrupted`: Ctrl-C or SIGTERM cut it short."""
        record, notes = merge(self.observed, run, wall)
        # Losses were seen, but no one curve came of them: each optimizer stepped on its own.
        apart = record.run.loss_source == "none" and any(
            s.loss is not None for o in self.observed for s in o.watch.probe.records
        )
        if record.run.loss_source != "none" and self.classes is not None:
            record = replace(record, run=replace(record.run, classes=self.classes))
        done = max(o.watch.probe.steps_seen for o in self.observed)
        for o in self.observed:
            if o.renewed:
                kind = type(o.optimizer).__name__
                notes.append(Note(NoteCode.RENEWED, {"kind": kind, "times": o.renewed, "label": o.label}))
        if self.out_of_time:
            notes.append(Note(NoteCode.STOPPED_BY_BUDGET, {"steps": done, "budget": self.budget}))
        elif self.stopped:
            notes.append(Note(NoteCode.STOPPED_AT_STEPS, {"steps": done}))
        elif run.steps is not None and len(record.steps) < run.steps:
            notes.append(Note(NoteCode.ENDED_EARLY, {"steps": done, "wanted": run.steps}))
        cut = None
        if interrupted:
            steps = len(record.steps)
            notes.append(Note(NoteCode.INTERRUPTED, {"how": interrupted, "steps": steps}))
            # Marked partial as a stopped `diagnose` is, so a reader of the JSON sees it too.
            cut = f"running the script, after {steps} measured step(s)"
        source = Source(
            voice=Voice(door="run", script=run.short, losses_apart=apart),
            unverified=Note(NoteCode.RUN_UNVERIFIED),
            numbers_only=False,
            notes=tuple(notes),
            extra={"argv": [run.name, *run.args]},
            cut=cut,
        )
        return assemble(record, source)
