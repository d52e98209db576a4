"""The optimizer step hooks' bookkeeping: attaching and detaching them, numbering the
steps, choosing the recorded ones, and a closure optimizer's first evaluation.

A probe hooks `optimizer.step()` with `register_step_pre_hook` and
`register_step_post_hook`. Steps are numbered as the optimizer takes them; every
`every`-th is recorded. A step inside DDP's no_sync() (this rank's gradients only) is
not numbered, nor is one that a fused optimizer skipped under GradScaler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

Hook = Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]


@dataclass
class Steps:
    """Which optimizer steps are numbered, and which of them are recorded."""

    every: int
    seen: int = 0  # steps numbered so far
    recording: bool = False  # the step under way is recorded
    last_recorded: bool = False  # the last step taken was recorded
    unsynced: bool = False  # the step under way is inside DDP's no_sync()
    handles: list[Any] = field(default_factory=list)

    def attach(self, optimizer: torch.optim.Optimizer, pre: Hook, post: Hook) -> None:
        self.handles = [optimizer.register_step_pre_hook(pre), optimizer.register_step_post_hook(post)]

    def detach(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    @property
    def due(self) -> bool:
        """Whether the next step to be numbered is recorded."""
        return self.seen % self.every == 0

    def begin(self, syncing: bool) -> bool:
        """At a step's start: whether it is measured (a step not `syncing` is no step of the job)."""
        if not syncing:
            self.unsynced = True
            return False
        self.recording = self.due
        return self.recording

    def end(self) -> int | None:
        """At a step's end: its number if it was measured, else None (it is then done with)."""
        if self.unsynced:
            self.unsynced = False  # not numbered
            return None
        index = self.seen
        self.seen += 1
        if not self.recording:
            self.last_recorded = False
            return None
        self.recording = False
        return index

    def taken(self, index: int, kept: bool) -> None:
        """A measured step was recorded (`kept`), or skipped by a fused optimizer: then it is
        not numbered either, as with GradScaler's unfused skip that never calls step(). (A skip
        on a step that is not recorded is only seen at the end, so it still counts towards
        `every`.)"""
        if not kept:
            self.seen = index
        self.last_recorded = kept


def closure_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """step()'s closure, if it was given one (args holds the optimizer itself first)."""
    return kwargs.get("closure", args[1] if len(args) > 1 else None)


def with_closure(
    args: tuple[Any, ...], kwargs: dict[str, Any], closure: Callable[[], Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """step()'s arguments with `closure` in place of the one it was given."""
    if "closure" in kwargs:
        return args, {**kwargs, "closure": closure}
    return (args[0], closure, *args[2:]), kwargs


def observing_first(closure: Callable[[], Any], first: Callable[[Any], None]) -> Callable[[], Any]:
    """`closure`, calling `first` with the loss of its first evaluation once that has run."""
    state = {"first": True}

    def observed() -> Any:
        loss = closure()
        if state["first"]:
            state["first"] = False
            first(loss)
        return loss

    return observed
