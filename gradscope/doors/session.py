"""Training steps for `gradscope diagnose`: the user's model, batches and optimizer.

The same loop serves the measured run (with a Probe attached to the optimizer,
exactly as `gradscope.watch` attaches to a user's own loop) and the cheap
replays of `gradscope.advice.replay`, which train the same batches again from the same
initial weights and seed with one change applied.
"""

from __future__ import annotations

import math
import os
import random
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gradscope.config import CLOSURE_OPTIMIZERS
from gradscope.doors.precision import AS_GIVEN, LOW, Mode, convert, master_weights
from gradscope.errors import GradscopeError, ScriptError, UsageError, blame, call_user, describe
from gradscope.load.script import USER_ERRORS, Problem, to_device, where
from gradscope.recording.recorder import Recorder

SHAPE_HINTS = ("shape", "size", "mat1", "mat2", "dimension", "expected input")


def resolve_device(spec: str) -> torch.device:
    """auto | cpu | cuda | cuda:N -> a device that exists, else UsageError."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(f"unknown device {spec!r}; use auto, cpu, cuda or cuda:N") from exc
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise UsageError(f"device {spec!r} is not supported; use auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise UsageError(f"--device {spec} asked for CUDA, but torch.cuda.is_available() is False; use --device cpu")
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise UsageError(
            f"--device {spec}: only {torch.cuda.device_count()} CUDA device(s) here; use cuda:0..."
            f"{torch.cuda.device_count() - 1}"
        )
    return device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    try:
        import numpy  # noqa: PLC0415  (optional: seeded only when the user's script can use it)

        numpy.random.seed(seed % (2**32))
    except ImportError:  # numpy is optional for user scripts
        pass


# A model state larger than this is kept in a temporary file, not in memory: on a real-size
# model a second copy of every weight would be a large share of training's own peak.
SPILL_BYTES = 128 * 2**20


class InitialState:
    """The model's state before the first step, which every replay starts from.

    Small states stay in memory; large ones are written once to a temporary file and
    read back memory-mapped at each reset, so they cost no memory while training runs.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        state = model.state_dict()
        size = sum(v.numel() * v.element_size() for v in state.values() if isinstance(v, torch.Tensor))
        self._memory: Mapping[str, Any] | None = None
        self._file: Path | None = None
        if size > SPILL_BYTES:
            handle, name = tempfile.mkstemp(prefix="gradscope-initial-", suffix=".pt")
            os.close(handle)
            self._file = Path(name)
            torch.save({k: v.detach().cpu() if isinstance(v, torch.Tensor) else v for k, v in state.items()}, name)
        else:
            self._memory = {k: v.detach().clone() if isinstance(v, torch.Tensor) else v for k, v in state.items()}

    def restore(self, model: torch.nn.Module) -> None:
        if self._memory is not None:
            model.load_state_dict(self._memory)
            return
        assert self._file is not None
        model.load_state_dict(torch.load(self._file, mmap=True, weights_only=True))

    def discard(self) -> None:
        if self._file is not None:
            self._file.unlink(missing_ok=True)
            self._file = None


@dataclass
class Session:
    """A loaded problem on its device, with the initial weights kept for re-runs."""

    problem: Problem
    device: torch.device
    seed: int
    initial: InitialState
    dtype: torch.dtype
    mode: Mode = AS_GIVEN  # the precision the steps take, as the user's training does

    @classmethod
    def start(cls, problem: Problem, device: torch.device, seed: int, precision: str | None = None) -> Session:
        model = problem.model
        mode = Mode.of(precision)
        try:
            call_user(model.to, device)
            if mode.weights is not None:
                call_user(convert, model, mode.weights)
            elif mode.autocast is not None and any(p.dtype in LOW for p in model.parameters()):
                call_user(convert, model, torch.float32)  # mixed precision keeps float32 weights
        except USER_ERRORS as exc:
            to = f" in {mode.weights or torch.float32}" if mode.weights or mode.autocast else ""
            raise blame(exc, f"moving the model to {device}{to} raised {describe(exc)}") from exc
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        return cls(problem, device, seed, InitialState(model), dtype, mode)

    def close(self) -> None:
        self.initial.discard()

    def reset(self) -> torch.optim.Optimizer:
        model = self.problem.model
        try:
            call_user(self.initial.restore, model)
        except USER_ERRORS as exc:
            raise blame(exc, f"restoring the model's initial weights raised {describe(exc)}") from exc
        model.train()
        seed_everything(self.seed)
        optimizer = self.problem.make_optimizer(model.parameters())
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not any(id(p) in held for p in model.parameters() if p.requires_grad):
            raise ScriptError(
                "the optimizer holds none of the model's trainable parameters, so nothing would train; "
                "build it from the `params` it is given (model.parameters())"
            )
        # Schedule-free optimizers step only in train mode (their training loop calls
        # optimizer.train() as it calls model.train()); a script's optimizer() need not.
        train = getattr(optimizer, "train", None)
        if callable(train):
            try:
                call_user(train)
            except USER_ERRORS as exc:
                raise blame(exc, f"optimizer.train() raised {describe(exc)}") from exc
        return optimizer

    def batch(self, step: int) -> Any:
        return to_device(self.problem.batches[step], self.device, self.dtype)

    def loss(self, batch: Any, mode: Mode | None = None) -> torch.Tensor:
        """The user's loss for one batch (under autocast in a mixed precision), checked to be a
        scalar that can be differentiated."""
        problem = self.problem
        try:
            with (mode or self.mode).forward(self.device):
                value = problem.loss_of(problem.model, batch)
        except GradscopeError:
            raise
        except USER_ERRORS as exc:
            hint = (
                "check the model's layer sizes against the data's shape"
                if any(h in str(exc).lower() for h in SHAPE_HINTS)
                else "fix the model or the loss"
            )
            raise blame(exc, f"the forward pass raised {describe(exc)}{where(exc, problem.script)}; {hint}") from exc
        if not isinstance(value, torch.Tensor):
            raise ScriptError(f"the loss is a {type(value).__name__}, not a tensor; return a scalar torch tensor")
        if value.numel() != 1:
            raise ScriptError(
                f"the loss has shape {tuple(value.shape)}, not a scalar; reduce it (e.g. `.mean()`) "
                "in `loss`/`compute_loss`"
            )
        if not value.requires_grad:
            raise ScriptError(
                "the loss does not depend on any trainable parameter (no grad_fn); "
                "compute it from the model's output without .detach()/.item()/torch.no_grad()"
            )
        return value.reshape(())

    def backward(self, value: torch.Tensor) -> None:
        try:
            call_user(torch.autograd.backward, value)
        except USER_ERRORS as exc:
            raise blame(exc, f"backward raised {describe(exc)}{where(exc, self.problem.script)}") from exc

    def run(
        self,
        steps: int,
        *,
        recorded: bool = False,
        setup: Callable[[torch.nn.Module, torch.optim.Optimizer], Callable[[], None]] | None = None,
        clip: float | None = None,
        progress: Callable[[int], None] | None = None,
        go_on: Callable[[int, torch.Tensor], bool] | None = None,
        precision: str | None = None,
    ) -> tuple[list[float], Recorder | None]:
        """Train up to `steps` steps from the initial state; return the losses and the recorder (its records).

        `recorded`: the measured run, with a Recorder on the model and optimizer (else a replay);
        `setup` changes the reset model and optimizer for a replay and returns its undo;
        `clip` clips the gradient norm before each step; `go_on(done, loss)`, called at each
        step boundary, ends the run early when it returns False (a budget, a stop request,
        a replay whose outcome is clear); `precision` runs a replay in another precision than
        the session's (Lightning's names: "bf16-mixed" keeps float32 master weights).
        """
        mode = self.mode if precision is None else Mode.of(precision)
        with master_weights(self.problem.model, mode):
            return self._run(steps, mode, recorded, setup, clip, progress, go_on)

    def _run(
        self,
        steps: int,
        mode: Mode,
        recorded: bool,
        setup: Callable[[torch.nn.Module, torch.optim.Optimizer], Callable[[], None]] | None,
        clip: float | None,
        progress: Callable[[int], None] | None,
        go_on: Callable[[int, torch.Tensor], bool] | None,
    ) -> tuple[list[float], Recorder | None]:
        model = self.problem.model
        optimizer = self.reset()
        undo = setup(model, optimizer) if setup is not None else None
        scaler = mode.scaler_for(self.device)
        watcher = Recorder(model, optimizer, scaler=scaler) if recorded else None
        losses: list[torch.Tensor] = []
        params = [p for p in model.parameters() if p.requires_grad]

        def gradient(batch: Any) -> torch.Tensor:
            self._zero(model, optimizer)
            value = self.loss(batch, mode)
            self.backward(value if scaler is None else scaler.scale(value))
            if clip is not None:
                if scaler is not None:
                    scaler.unscale_(optimizer)  # clip the true gradients, as a user's AMP loop must
                torch.nn.utils.clip_grad_norm_(params, clip)
            return value

        if watcher is not None:
            watcher.start()
        failed = True
        try:
            for step in range(steps):
                losses.append(self._take_step(step, optimizer, gradient, watcher, scaler))
                if progress is not None:
                    progress(step + 1)
                if go_on is not None and not go_on(step + 1, losses[-1]):
                    break
            failed = False
        finally:
            if watcher is not None:
                watcher.stop(failed=failed)
            if undo is not None:
                undo()
        host = torch.stack([v.reshape(()).to(torch.float64).cpu() for v in losses]).tolist() if losses else []
        return host, watcher

    def _take_step(
        self,
        step: int,
        optimizer: torch.optim.Optimizer,
        gradient: Callable[[Any], torch.Tensor],
        watcher: Recorder | None,
        scaler: Any = None,
    ) -> torch.Tensor:
        """One optimizer step on the step's batch; its loss, detached (NaN when a closure never ran)."""
        batch = self.batch(step)
        closure_optimizer = type(optimizer).__name__ in CLOSURE_OPTIMIZERS
        if closure_optimizer and scaler is not None:
            raise UsageError(f"16-mixed needs a GradScaler, which cannot step {type(optimizer).__name__} (a closure)")
        if closure_optimizer:
            first: list[torch.Tensor] = []

            def closure() -> torch.Tensor:
                value = gradient(batch)
                if not first:
                    first.append(value.detach())
                return value

            self._step(optimizer, closure)
            return first[0] if first else torch.tensor(math.nan)
        value = gradient(batch)
        if watcher is not None:
            watcher.loss(value)
        self._step(optimizer, None, scaler)
        return value.detach()

    def _zero(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        # The model's zero_grad, not only the optimizer's: a parameter the optimizer
        # does not hold would otherwise add up its gradient across steps.
        try:
            call_user(model.zero_grad, set_to_none=True)
            call_user(optimizer.zero_grad, set_to_none=True)
        except USER_ERRORS as exc:
            raise blame(exc, f"zero_grad() raised {describe(exc)}{where(exc, self.problem.script)}") from exc

    def _step(self, optimizer: torch.optim.Optimizer, closure: Any, scaler: Any = None) -> None:
        try:
            if scaler is not None:
                call_user(scaler.step, optimizer)  # skips the step on inf/NaN gradients
                scaler.update()
            elif closure is None:
                call_user(optimizer.step)
            else:
                call_user(optimizer.step, closure)
        except GradscopeError:
            raise
        except USER_ERRORS as exc:
            raise blame(exc, f"optimizer.step() raised {describe(exc)}{where(exc, self.problem.script)}") from exc
