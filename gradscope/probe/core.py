"""The Probe: the measuring engine under both `gradscope diagnose` and `gradscope.watch`.

A Probe attaches to an optimizer through `register_step_pre_hook` and
`register_step_post_hook`, so it sees exactly the gradients the optimizer steps on
(after the user's clipping, accumulation and GradScaler unscaling) and the real update
the optimizer made. It is the facade over its parts: the hooks' bookkeeping (hooks.py),
the losses handed over (losses.py), GradScaler's skips (skips.py), the job's ranks
(distributed.py) and the measuring of a recorded step (measure.py).

Memory: the update ||W_after - W_before|| needs the weights before the step.
`memory="exact"` keeps one flat copy of the trainable parameters (1.0x their bytes);
`memory="low"` keeps a fixed strided sample of each large tensor (about 1/STRIDE of its
entries) and copies small tensors whole (snapshot.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from gradscope.data.records import StepRecord
from gradscope.probe import distributed, hooks
from gradscope.probe.layout import discover
from gradscope.probe.losses import Losses, loss_tensor
from gradscope.probe.measure import Measure
from gradscope.probe.policies import Entropies
from gradscope.probe.skips import Skips

StepLog = Callable[[int, dict[str, Any]], None]


class Probe:
    """Per-step, per-layer gradient and update figures for one model and optimizer."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        every: int = 1,
        memory: str = "exact",
        log: StepLog | None = None,
        scaler: Any = None,  # torch.amp.GradScaler, to count the steps it skipped
        across_ranks: bool = True,  # in a torch.distributed job, make the figures the job's (distributed.py)
        # None: whether losses come before or after their step() is learned at the first recorded
        # step (a user's loop may do either). True: always after, and a closure's return value is
        # not taken as the loss: the framework callbacks read the loss from the training step's
        # output once the step has run, and Lightning's closure returns it divided by the
        # accumulation count.
        loss_after_step: bool | None = None,
        records: list[StepRecord] | None = None,
        steps_seen: int = 0,
    ) -> None:
        if every < 1:
            raise ValueError("every must be >= 1")
        if memory not in ("exact", "low"):
            raise ValueError('memory must be "exact" or "low"')
        self.optimizer = optimizer
        self.every, self.memory, self.log, self.scaler = every, memory, log, scaler
        self.across_ranks, self.loss_after_step = across_ranks, loss_after_step
        self.records: list[StepRecord] = [] if records is None else records
        # Under DDP the layers are the wrapped module's, named as in one process.
        self.wrapper, self.model = model, distributed.unwrap(model)
        self.layout = discover(self.model, optimizer)
        self.ranks = distributed.find(self.wrapper, self.layout.tracked) if across_ranks else None
        self.steps = hooks.Steps(every, seen=steps_seen)
        self.losses = Losses(after_step=loss_after_step)
        self.entropy: torch.Tensor | None = None  # the policy's, for the coming step (set_step_entropy)
        self.policies = Entropies()  # those handed over by add_policy
        self.skips = Skips(scaler)
        self.measure = Measure(self.model, self.layout, memory, self.ranks)
        self.device = self.measure.device

    @property
    def steps_seen(self) -> int:
        """Optimizer steps numbered so far."""
        return self.steps.seen

    @steps_seen.setter
    def steps_seen(self, value: int) -> None:
        self.steps.seen = value

    def replaced(self) -> list[str]:
        """Layers with a parameter that no longer holds the storage the probe reads.

        `p.data = other` inside a watch leaves the probe reading the old tensor (its
        figures are then the old tensor's); checked once, when the report is built.
        """
        return self.measure.replaced()

    # -- attaching -------------------------------------------------------------
    def attach(self) -> None:
        self.skips.start()
        self.steps.attach(self.optimizer, self._pre_step, self._post_step)

    def detach(self) -> None:
        self.steps.detach()

    def finish(self) -> None:
        """Count skips after the last executed step; attach losses handed over late.

        In a distributed job every rank runs this (on leaving the watch), so the late
        losses are averaged over the ranks here, in one collective.
        """
        self.skips.finish()
        ranks = self.ranks
        if ranks is not None and self.losses.late:
            self.losses.resolve(self.records, self.device, lambda t: ranks.sum(t, means=t.numel()))
        self.resolve_losses()

    @property
    def snapshot_bytes(self) -> int:
        return self.measure.snapshot_bytes

    @property
    def held_bytes(self) -> int:
        """Every tensor byte the probe keeps between steps (snapshot, index tensors, caches)."""
        return self.measure.held_bytes

    @property
    def skipped(self) -> int:
        """Optimizer steps GradScaler skipped (counted, not recorded)."""
        return self.skips.count

    # -- the loss ----------------------------------------------------------------
    def add_loss(self, value: Any) -> None:
        """Hand over a loss; it belongs to the step it was computed for (see Watch.loss).

        Nothing here touches the device: a tensor is kept as it is and joins the
        step's single transfer, and a loss for a step that is not recorded is dropped.
        """
        self.losses.add(value, self.records, self.steps.last_recorded, self.steps.due)

    def set_step_loss(self, value: Any) -> None:
        """The loss of the step about to run, known before it starts (`gradscope run` takes it
        from backward()). Unlike add_loss it is the step's whole loss, so it is neither averaged
        with others nor held back for GradScaler's skipped steps; a closure's own loss wins."""
        if self.steps.due:
            self.losses.closure = loss_tensor(value, self.device).reshape(1)

    def add_policy(self, distribution: Any) -> None:
        """Hand over a policy's distribution for the coming step (see Watch.policy)."""
        self.policies.add(distribution)

    def set_step_entropy(self, value: torch.Tensor | None) -> None:
        """The policy's entropy over the distributions built since the last step (`gradscope run`
        observes them, probe/policies.py), for the step about to run."""
        self.entropy = value if self.steps.due else None

    def resolve_losses(self) -> None:
        """Attach losses handed over after their step, in one transfer for all of them."""
        self.losses.resolve(self.records, self.device)

    # -- hooks -------------------------------------------------------------------
    def _pre_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        attr = getattr(optimizer, "found_inf", None)
        found = attr if isinstance(attr, torch.Tensor) else None
        if found is not None:
            # A fused optimizer under GradScaler: step() runs on every iteration with the
            # gradients still scaled, and the kernel itself unscales them and skips the update
            # when found_inf is set. Skips are summed on the device (no sync); a recorded
            # step takes grad_scale and found_inf into its one transfer (Measure.finish).
            self.skips.add_fused(found)
        else:
            skipped = self.skips.since_last()
            if skipped and not self.losses.after_step:
                self.losses.drop_skipped(skipped)
        if not self.measure.groups:  # a model with no trainable parameter: nothing to measure
            return None
        # A step inside DDP's no_sync(): this rank's gradients only, not a step of the job.
        if not self.steps.begin(self.ranks is None or self.ranks.syncing()):
            return None
        self.measure.begin(optimizer, found)
        closure = hooks.closure_of(args, kwargs)
        if closure is None:
            self._measure_grads()  # borrows the snapshot buffer, so it goes first
            self.measure.snapshot()
            return None
        self.measure.snapshot()
        # Closure optimizers compute the gradient inside step(): measure it after
        # the first evaluation, which is at the weights the step starts from.
        return hooks.with_closure(args, kwargs, hooks.observing_first(closure, self._first_evaluation))

    def _first_evaluation(self, loss: Any) -> None:
        # The weight snapshot is already in the buffer: reduce gradients tensor by tensor.
        self._measure_grads(use_buffer=False)
        if isinstance(loss, torch.Tensor) and not self.loss_after_step:
            self.losses.closure = loss.detach().reshape(-1)[:1].to(self.device, torch.float64)

    def _post_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self.measure.groups:
            self.steps.seen += 1
            return
        index = self.steps.end()
        if index is None:
            # Not recorded, or inside no_sync() (its losses were this rank's own batches).
            self.losses.pending.clear()
            self.policies.drop()
            return
        self.losses.settle()
        record = self._finish(index)
        self.steps.taken(index, kept=record is not None)
        if record is None:  # a fused optimizer skipped this step: counted, not recorded
            return
        self.records.append(record)
        if self.log is not None:
            self.log(index, self.figures(record))

    # The two steps of measuring, by name here so that a test can make either fail.
    def _measure_grads(self, use_buffer: bool = True) -> None:
        self.measure.grads(use_buffer)

    def _finish(self, index: int) -> StepRecord | None:
        # gradscope run's (set_step_entropy), else those handed over by add_policy.
        found, self.entropy = self.entropy, None
        handed = self.policies.take(self.device)
        entropy = found if found is not None else handed
        return self.measure.finish(index, self.losses, next_due=self.steps.due, entropy=entropy)

    def figures(self, record: StepRecord) -> dict[str, Any]:
        """One step's figures keyed by layer name, for a user's logger."""
        return {
            "step": record.step,
            "loss": record.loss,
            "total_grad_norm": record.total_grad_norm,
            **({} if record.policy_entropy is None else {"policy_entropy": record.policy_entropy}),
            "layers": {layer.name: record.layer(i) for i, layer in enumerate(self.layout.layers)},
        }
