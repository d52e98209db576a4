"""The measuring of a recorded step: the weights before it, batched reductions, and the
figures of every layer brought to the host in one transfer.

Per recorded step a fixed number of batched `torch._foreach_*` calls runs over all
parameters (grads.py for the gradients, weights.py for the weights and the update);
the results are gathered as parts (plan.py), reduced to per-layer figures on the device
with one `index_add_`, and read in a single transfer: one device sync per recorded step,
no Python loop over parameters issuing tensor ops. Only a figure that comes back NaN or
Inf sends the step down the non-finite path (nonfinite.py).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from gradscope.data.records import StepRecord
from gradscope.probe import distributed, frozen, grads, lost, nonfinite, rates, weights
from gradscope.probe.distributed import Ranks
from gradscope.probe.layout import Layout
from gradscope.probe.losses import Losses
from gradscope.probe.plan import Parts, Plan, make_plan
from gradscope.probe.snapshot import make_groups


def on_device(value: Any) -> bool:
    """Whether `value` is a tensor off the host (reading it would wait for the device)."""
    return isinstance(value, torch.Tensor) and value.device.type != "cpu"


class Measure:
    """The state a recorded step is measured with, from the step's start to its record."""

    def __init__(self, model: nn.Module, layout: Layout, memory: str, ranks: Ranks | None) -> None:
        self.layout = layout
        self.ranks = ranks
        self.device = layout.tracked[0].device if layout.tracked else torch.device("cpu")
        self.groups, self.sharded = make_groups(layout, model, memory, ranks)
        # Zero share and dead share per layer, on the device: (entries - non-zero) / entries,
        # exactly 0 when every entry is non-zero, and 0 for a layer with no tracked entries
        # (zero share) or no bias (dead share): their factor is 0.
        sizes = list(map(float, layout.numel))
        sizes += [float(layout.tracked[b].numel()) if b >= 0 else 0.0 for b in layout.bias_of]
        self.share_numel = torch.tensor(sizes, device=self.device, dtype=torch.float64)
        self.share_inv = torch.tensor([1.0 / m if m else 0.0 for m in sizes], device=self.device, dtype=torch.float64)
        # Frozen layers are not measured per step, but their weight norm is still worth showing.
        self.frozen_norms = frozen.weight_norms(model, layout, self.sharded, ranks, self.device)
        self.order = [i for g in self.groups for i in g.positions]
        self.nlayers = len(layout.layers)
        tracked_layers = set(layout.layer_of)
        self.all_present = tuple(i in tracked_layers for i in range(self.nlayers))
        # Per group: next step's large-weight squares (per piece) and the parameters' version counters.
        self.after_norms: dict[int, tuple[torch.Tensor, list[int]]] = {}
        self.keep: dict[int, list[int]] = {}  # this step's groups whose squares go to after_norms
        self.parts = Parts()  # this step's figures, see finish
        self.factors: tuple[tuple[float, ...], ...] = ()
        self.measured = False
        self.plans: dict[Any, Plan] = {}
        self.present: tuple[bool, ...] = ()
        self.index_cache: dict[tuple[int, tuple[bool, ...]], torch.Tensor] = {}
        # A fused optimizer under GradScaler (see Probe._pre_step): this step's (grad_scale, found_inf).
        self.amp: tuple[Any, torch.Tensor] | None = None
        self.lr: tuple[float, ...] = ()
        self.late_lr: list[tuple[int, torch.Tensor]] = []  # (param group, its learning rate on the device)
        # bfloat16/float16 groups: their lost updates are counted (lost.py); float32 pays nothing.
        self.low = [] if self.sharded else lost.low(self.groups)
        self.low_layers = {layout.layer_of[pos] for k in self.low for pos in self.groups[k].positions}
        self.low_index = torch.tensor(
            [layout.layer_of[pos] for k in self.low for pos in self.groups[k].positions],
            dtype=torch.long,
            device=self.device,
        )
        self.lost: list[tuple[int, torch.Tensor]] = []  # this step's per-tensor lost-update figures

    # -- a step's start ------------------------------------------------------------
    def begin(self, optimizer: torch.optim.Optimizer, found: torch.Tensor | None) -> None:
        self.amp = None if found is None else (getattr(optimizer, "grad_scale", None), found)
        lrs = rates.read(optimizer)  # not always group["lr"]: Adafactor's relative step, NaN for lr=None
        # A learning rate held on the GPU (capturable and fused optimizers take one): float()
        # would wait for the device; it joins the step's one transfer instead (a copy, in
        # stream order, so the value read is the one float() would have read here).
        self.late_lr = [
            (i, lr.detach().reshape(1).to(self.device, torch.float64, copy=True))
            for i, lr in enumerate(lrs)
            if isinstance(lr, torch.Tensor) and on_device(lr)
        ]
        self.lr = tuple(0.0 if on_device(lr) else float(lr) for lr in lrs)
        self.parts.clear()
        self.keep = {}
        self.measured = False

    def grads(self, use_buffer: bool = True) -> None:
        """Gradient norms (squares for large tensors) and non-zero counts of every tracked tensor.

        With use_buffer, many small gradients are first copied into the (free) snapshot
        buffer so they reduce by size class; the weight snapshot is taken after.
        """
        self.measured = True
        self.present, self.factors = grads.measure(
            self.groups, self.parts, self.device, self.sharded, self.present_index, use_buffer
        )

    def present_index(self, group: int, present: tuple[bool, ...]) -> torch.Tensor:
        """Positions of the gradients present, as a device tensor made once per pattern: built
        from a list each step, it would be a host-to-device copy, which waits for the GPU."""
        key = (group, present)
        idx = self.index_cache.get(key)
        if idx is None:
            idx = self.index_cache[key] = torch.tensor(
                [i for i, there in enumerate(present) if there], device=self.device
            )
        return idx

    def snapshot(self) -> None:
        """The weights before the step, into the buffer, with their squares."""
        for k, g in enumerate(self.groups):
            weights.take_snapshot(k, g, self.parts, self.after_norms.pop(id(g), None))

    # -- a step's end ----------------------------------------------------------------
    def finish(
        self, index: int, losses: Losses, next_due: bool, entropy: torch.Tensor | None = None
    ) -> StepRecord | None:
        """The step's record (None: a fused optimizer skipped it); `next_due`: the next step
        is recorded, so its weight squares may be taken now; `entropy`: the policy's, on the
        device (probe/policies.py), joins the transfer."""
        if not self.measured:  # a closure that never ran: nothing measured at the step's start
            self.grads(use_buffer=False)
        # Before the update figures turn the snapshot into W_before - W_after.
        self.lost = lost.measure(self.groups, self.low, self.layout, self.sharded) if self.low else []
        for k, g in enumerate(self.groups):
            kept = weights.update_norms(k, g, self.parts, next_due)
            if kept is not None:
                self.keep[k] = kept
        values, plan = self._gather()
        record = self._record(index, losses, values, plan, entropy)
        self.parts.clear()  # this step's parts, done with
        self.keep = {}
        return record

    def _gather(self) -> tuple[torch.Tensor, Plan]:
        """This step's parts as one float64 vector, and its plan; keeps the next step's weight
        squares (a slice of the stack) for groups in `keep`."""
        joined, nexts = self.parts.join(self.device)
        for group, kept in nexts:
            self.after_norms[id(self.groups[group])] = (kept, self.keep[group])
        key = (self.parts.arrangement(), self.factors)
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = make_plan(key[0], self.groups, self.factors, self.layout, self.device)
        return joined.to(torch.float64, copy=True), plan

    def _per_layer(self, values: torch.Tensor, plan: Plan, losses: Losses) -> list[torch.Tensor]:
        """Per layer gradient, weight and update norms, zero and dead shares, and the loss,
        still on the device (the job's in a distributed job)."""
        L = self.nlayers
        # One vector of per-entry figures -> squares (pow_ by exponent), scaled (sampled
        # counts, low mode's updates), summed per layer and figure in one index_add_.
        values.pow_(plan.exp)
        if plan.mult is not None:
            values.mul_(plan.mult)
        per_layer = torch.zeros(4 * L + 1, dtype=torch.float64, device=self.device).index_add_(0, plan.dest, values)
        loss = losses.take(self.device)
        if self.ranks is None:
            counts = torch.cat([per_layer[3 * L : 4 * L], values.index_select(0, plan.bias)])
        else:
            # The step's one collective: this rank's sums and counts and its loss, made the job's.
            stacked = torch.cat([per_layer[: 4 * L], values.index_select(0, plan.bias), loss])
            self.ranks.sum(stacked, means=1)
            per_layer[: 4 * L], counts, loss = stacked[: 4 * L], stacked[3 * L : 5 * L], stacked[5 * L :]
        per_layer[: 3 * L].sqrt_()
        # Zero share of each layer's gradient, then dead share: a unit is dead when its bias
        # gradient is exactly zero for the whole batch; without a bias the weight's zero share
        # mixes dead units with inputs that were zero, so no figure. abs_ turns the -0.0 of
        # (0 - count) * 0 into 0.0.
        shares = torch.sub(self.share_numel, counts).mul_(self.share_inv).abs_()
        return [per_layer, shares, loss]

    def _record(
        self, index: int, losses: Losses, values: torch.Tensor, plan: Plan, entropy: torch.Tensor | None
    ) -> StepRecord | None:
        L = self.nlayers
        per_layer, shares, loss = self._per_layer(values, plan, losses)
        amp, self.amp = self.amp, None
        tail = self._tail(per_layer, loss, amp, entropy)
        # The step's one device -> host transfer:
        flat = torch.cat([per_layer[: 3 * L], shares, *tail]).tolist()
        # The loss, then GradScaler's found_inf under a fused optimizer, then the entropy.
        at_entropy = 5 * L + 1 + (amp is not None)
        lost_frac, spacings = self._lost_shares(flat)
        lr = self._read_lr(flat)
        g_l, w_l, u_l = flat[0:L], flat[L : 2 * L], flat[2 * L : 3 * L]
        zero_frac, dead = flat[3 * L : 4 * L], flat[4 * L : 5 * L]
        loss_value = flat[5 * L]
        if amp is not None and flat[5 * L + 1] > 0:
            return None
        total_norm = math.hypot(*g_l)
        has_grad = self._layer_has_grad()
        for i, norm in self.frozen_norms.items():
            w_l[i] = norm
        bad_g = [0] * L
        bad_w = [0] * L
        # One sum instead of a check per figure: NaN and Inf survive addition.
        if not math.isfinite(sum(g_l) + sum(w_l) + sum(u_l) + total_norm):
            large = plan.large_updates(values.tolist())
            # (Under a fused optimizer the kernel has written the unscaled gradients back by now.)
            redone = nonfinite.redo(
                self.layout, self.groups, self.keep, self.sharded, self.ranks, self.device, w_l, u_l, large
            )
            g_l, w_l, u_l, total_norm = redone.grad, redone.weight, redone.update, redone.total_norm
            bad_g, bad_w = redone.bad_grad, redone.bad_weight
        return StepRecord(
            step=index,
            loss=None if math.isnan(loss_value) and losses.missing else loss_value,
            total_grad_norm=total_norm,
            lr=lr,
            grad_norm=tuple(g_l),
            weight_norm=tuple(w_l),
            update_norm=tuple(u_l),
            nonfinite_grad=tuple(bad_g),
            nonfinite_weight=tuple(bad_w),
            zero_grad_frac=tuple(zero_frac),
            has_grad=has_grad,
            dead_unit_frac=tuple(dead),
            lost_frac=lost_frac,
            update_spacings=spacings,
            policy_entropy=None if entropy is None or not math.isfinite(flat[at_entropy]) else flat[at_entropy],
        )

    def _tail(
        self, per_layer: torch.Tensor, loss: torch.Tensor, amp: Any, entropy: torch.Tensor | None
    ) -> list[torch.Tensor]:
        """What joins the per-layer figures in the step's transfer: the loss, GradScaler's found_inf,
        the policy's entropy, the learning rates held on the device and the lost-update figures."""
        L = self.nlayers
        tail = [loss]
        # A fused optimizer under GradScaler saw scaled gradients: their norms are divided by
        # the scale here, and whether the kernel skipped the step comes with the transfer.
        if amp is not None:
            scale, found = amp
            if isinstance(scale, torch.Tensor):  # None: the user called unscale_ already
                per_layer[:L].div_(scale.reshape(1).to(self.device, torch.float64))
            tail.append(found.reshape(1).to(self.device, torch.float64))
        if entropy is not None:
            tail.append(entropy.reshape(1).to(self.device, torch.float64))
        tail += [lr for _, lr in self.late_lr]
        if self.lost:
            tail.append(lost.per_layer(self.lost, L, self.low_index, self.device))
        return tail

    def _lost_shares(self, flat: list[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The lost-update figures from the end of the transfer, taken off it; empty without any."""
        if not self.lost:
            return (), ()
        self.lost = []
        size = lost.FIGURES * self.nlayers
        figures = flat[len(flat) - size :]
        del flat[len(flat) - size :]
        return lost.shares(figures, self.nlayers, self.low_layers)

    def _read_lr(self, flat: list[float]) -> tuple[float, ...]:
        """The learning rates, those held on the device from the end of the transfer."""
        if not self.late_lr:
            return self.lr
        lr = list(self.lr)
        for (i, _), value in zip(self.late_lr, flat[len(flat) - len(self.late_lr) :], strict=True):
            lr[i] = value
        return tuple(lr)

    def _layer_has_grad(self) -> tuple[bool, ...]:
        if all(self.present):
            return self.all_present
        has = [False] * self.nlayers
        for pos, present in zip(self.order, self.present, strict=True):
            if present:
                has[self.layout.layer_of[pos]] = True
        return tuple(has)

    # -- outside the steps -------------------------------------------------------------
    def replaced(self) -> list[str]:
        """Layers with a parameter that no longer holds the storage the probe reads (see Probe.replaced)."""
        names: dict[str, None] = {}
        for g in self.groups:
            for pos, param, held in zip(g.positions, g.tracked, g.params, strict=True):
                now = distributed.local(param)
                if now.data_ptr() != held.data_ptr() or now.shape != held.shape or now.dtype != held.dtype:
                    names[self.layout.layers[self.layout.layer_of[pos]].name] = None
        return list(names)

    @property
    def snapshot_bytes(self) -> int:
        return sum(g.buffer.numel() * g.buffer.element_size() for g in self.groups)

    @property
    def held_bytes(self) -> int:
        """Every tensor byte kept between steps (snapshot, index tensors, caches)."""
        tensors = [self.share_numel, self.share_inv]
        for plan in self.plans.values():
            tensors += [plan.dest, plan.exp, plan.bias] + ([] if plan.mult is None else [plan.mult])
        tensors += [norms for norms, _ in self.after_norms.values()]
        tensors += list(self.index_cache.values())
        return self.snapshot_bytes + sum(t.numel() * t.element_size() for t in tensors)
