"""The measuring engine under both `gradscope diagnose` and `gradscope.watch`.

A Probe attaches to an optimizer through `register_step_pre_hook` and
`register_step_post_hook`, so it sees exactly the gradients the optimizer
steps on (after the user's clipping, accumulation and GradScaler unscaling)
and the real update the optimizer made. Per recorded step it issues a fixed
number of batched `torch._foreach_*` calls over all parameters, reduces them to
per-layer figures on the device with `index_add_`, and brings everything to the
host in a single transfer: one device sync per recorded step, no Python loop
over parameters issuing tensor ops. Up to FEW small tensors are reduced by one
foreach call; more are reduced by size class from one flat buffer (one op per
class, not per tensor). On CPU large tensors are worked in cache-sized chunks. For
tensors of 64k entries and more the zero-gradient share is estimated on runs of
entries spread over the tensor (stats.spread_runs); every other figure is exact.

Memory: the update ||W_after - W_before|| needs the weights before the step.
`memory="exact"` keeps one flat copy of the trainable parameters (1.0x their
bytes); `memory="low"` keeps a fixed strided sample of each large tensor (about
1/STRIDE of its entries) and copies small tensors whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gradscope.data.records import StepRecord
from gradscope.probe import distributed, snapshot
from gradscope.probe import reduce as stats
from gradscope.probe.layout import EMBEDDING_TYPES, discover
from gradscope.probe.losses import Losses, loss_tensor
from gradscope.probe.plan import Part, Plan, make_plan
from gradscope.probe.skips import Skips
from gradscope.probe.snapshot import Group, flat, make_group

StepLog = Callable[[int, dict[str, Any]], None]


@dataclass
class Probe:
    """Per-step, per-layer gradient and update figures for one model and optimizer."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    every: int = 1
    memory: str = "exact"
    log: StepLog | None = None
    scaler: Any = None  # torch.amp.GradScaler, to count the steps it skipped
    across_ranks: bool = True  # in a torch.distributed job, make the figures the job's (distributed.py)
    # None: whether losses come before or after their step() is learned at the first recorded
    # step (a user's loop may do either). True: always after, and a closure's return value is
    # not taken as the loss: the framework callbacks read the loss from the training step's
    # output once the step has run, and Lightning's closure returns it divided by the
    # accumulation count.
    loss_after_step: bool | None = None
    records: list[StepRecord] = field(default_factory=list)
    steps_seen: int = 0

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be >= 1")
        if self.memory not in ("exact", "low"):
            raise ValueError('memory must be "exact" or "low"')
        # Under DDP the layers are the wrapped module's, named as in one process.
        self.wrapper, self.model = self.model, distributed.unwrap(self.model)
        self.layout = discover(self.model, self.optimizer)
        self.ranks = distributed.find(self.wrapper, self.layout.tracked) if self.across_ranks else None
        self._handles: list[Any] = []
        self.losses = Losses(after_step=self.loss_after_step)
        self.skips = Skips(self.scaler)
        # Per group: next step's large-weight squares (per piece) and the parameters' version counters.
        self._after_norms: dict[int, tuple[torch.Tensor, list[int]]] = {}
        self._keep: dict[int, list[int]] = {}  # this step's groups whose squares go to _after_norms
        self._listed: list[tuple[Part, list[torch.Tensor]]] = []  # this step's figures, see _finish
        self._tensors: list[tuple[Part, torch.Tensor]] = []
        self._factors: tuple[tuple[float, ...], ...] = ()
        self._measured = False
        self._plans: dict[Any, Plan] = {}
        self._present: tuple[bool, ...] = ()
        self._recording = False
        self._index_cache: dict[tuple[int, tuple[bool, ...]], torch.Tensor] = {}
        # A fused optimizer under GradScaler (see _pre_step): this step's (grad_scale, found_inf).
        self._amp: tuple[Any, torch.Tensor] | None = None
        self._lr: tuple[float, ...] = ()
        self._last_recorded = False
        self._unsynced = False
        layout = self.layout
        self.device = layout.tracked[0].device if layout.tracked else torch.device("cpu")
        ranks = self.ranks
        # What is read of each parameter: under FSDP this rank's shard of it.
        self._sharded = any(map(distributed.is_distributed, layout.tracked))
        local = [distributed.local(p) if self._sharded else p.detach() for p in layout.tracked]
        # A tensor whole on every rank of a shard group is counted by one of them (distributed.py).
        replica = [ranks is not None and self._sharded and not distributed.is_sharded(p) for p in layout.tracked]
        by_key: dict[tuple[torch.device, torch.dtype, bool], list[int]] = {}
        for i, (p, twin) in enumerate(zip(local, replica, strict=True)):
            by_key.setdefault((p.device, p.dtype, twin), []).append(i)
        # Looked up on its module at call time, where tests replace it to take the GPU path on CPU.
        self._groups = [
            make_group(pos, layout.tracked, local, self.memory, snapshot.in_pieces(local[pos[0]].device))
            for pos in by_key.values()
        ]
        for (_, _, twin), g in zip(by_key, self._groups, strict=True):
            if twin and ranks is not None and ranks.shard_rank != 0:
                g.weight = 0.0
        order = [i for g in self._groups for i in g.positions]
        # Zero share and dead share per layer, on the device: (entries - non-zero) / entries,
        # exactly 0 when every entry is non-zero, and 0 for a layer with no tracked entries
        # (zero share) or no bias (dead share): their factor is 0.
        sizes = list(map(float, layout.numel))
        sizes += [float(layout.tracked[b].numel()) if b >= 0 else 0.0 for b in layout.bias_of]
        self._share_numel = torch.tensor(sizes, device=self.device, dtype=torch.float64)
        self._share_inv = torch.tensor([1.0 / m if m else 0.0 for m in sizes], device=self.device, dtype=torch.float64)
        # Frozen layers are not measured per step, but their weight norm is still worth showing.
        self._frozen_norms = self._frozen_weight_norms()
        self._order = order
        self._nlayers = len(layout.layers)
        tracked_layers = set(layout.layer_of)
        self._all_present = tuple(i in tracked_layers for i in range(self._nlayers))
        sparse_ids = {
            id(p)
            for m in self.model.modules()
            if isinstance(m, EMBEDDING_TYPES) and getattr(m, "sparse", False)
            for p in m.parameters(recurse=False)
        }
        for g in self._groups:
            g.maybe_sparse = any(id(p) in sparse_ids for p in g.tracked)

    def _frozen_weight_norms(self) -> dict[int, float]:
        frozen = {i for i, layer in enumerate(self.layout.layers) if not layer.trainable}
        if not frozen:
            return {}
        modules = dict(self.model.named_modules())
        out = {}
        with torch.no_grad():
            for i in frozen:
                layer = self.layout.layers[i]
                module = modules.get("" if layer.name == "(root)" else layer.name)
                if module is None:
                    continue
                if self._sharded:
                    out[i] = self._local_square(list(module.parameters(recurse=False)))
                    continue
                params = [p.detach() for p in module.parameters(recurse=False)]
                out[i] = math.sqrt(sum(float(stats.norms([p]).to(torch.float64)[0]) ** 2 for p in params))
        if self._sharded and self.ranks is not None and out:
            # This rank's squares of its shards, made whole in one collective at the start.
            whole = self.ranks.sum(torch.tensor(list(out.values()), dtype=torch.float64, device=self.device))
            out = dict(zip(out, whole.sqrt().tolist(), strict=True))
        return out

    def _local_square(self, params: list[torch.Tensor]) -> float:
        """Sum of squares of what this rank counts of `params` (see distributed.py)."""
        total = 0.0
        for p in params:
            if distributed.is_sharded(p) or self.ranks is None or self.ranks.shard_rank == 0:
                total += float(stats.norms([distributed.local(p)]).to(torch.float64)[0]) ** 2
        return total

    def replaced(self) -> list[str]:
        """Layers with a parameter that no longer holds the storage the probe reads.

        `p.data = other` inside a watch leaves the probe reading the old tensor (its
        figures are then the old tensor's); checked once, when the report is built.
        """
        names: dict[str, None] = {}
        for g in self._groups:
            for pos, param, held in zip(g.positions, g.tracked, g.params, strict=True):
                now = distributed.local(param)
                if now.data_ptr() != held.data_ptr() or now.shape != held.shape or now.dtype != held.dtype:
                    names[self.layout.layers[self.layout.layer_of[pos]].name] = None
        return list(names)

    # -- attaching -------------------------------------------------------------
    def attach(self) -> None:
        self.skips.start()
        self._handles = [
            self.optimizer.register_step_pre_hook(self._pre_step),
            self.optimizer.register_step_post_hook(self._post_step),
        ]

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @property
    def snapshot_bytes(self) -> int:
        return sum(g.buffer.numel() * g.buffer.element_size() for g in self._groups)

    @property
    def held_bytes(self) -> int:
        """Every tensor byte the probe keeps between steps (snapshot, index tensors, caches)."""
        tensors = [self._share_numel, self._share_inv]
        for plan in self._plans.values():
            tensors += [plan.dest, plan.exp, plan.bias] + ([] if plan.mult is None else [plan.mult])
        tensors += [norms for norms, _ in self._after_norms.values()]
        tensors += list(self._index_cache.values())
        return self.snapshot_bytes + sum(t.numel() * t.element_size() for t in tensors)

    # -- the loss ----------------------------------------------------------------
    def add_loss(self, value: Any) -> None:
        """Hand over a loss; it belongs to the step it was computed for (see Watch.loss).

        Nothing here touches the device: a tensor is kept as it is and joins the
        step's single transfer, and a loss for a step that is not recorded is dropped.
        """
        self.losses.add(value, self.records, self._last_recorded, self.steps_seen % self.every == 0)

    def set_step_loss(self, value: Any) -> None:
        """The loss of the step about to run, known before it starts (`gradscope run` takes it
        from backward()). Unlike add_loss it is the step's whole loss, so it is neither averaged
        with others nor held back for GradScaler's skipped steps; a closure's own loss wins."""
        if self.steps_seen % self.every == 0:
            self.losses.closure = loss_tensor(value, self.device).reshape(1)

    def resolve_losses(self) -> None:
        """Attach losses handed over after their step, in one transfer for all of them."""
        self.losses.resolve(self.records, self.device)

    @property
    def skipped(self) -> int:
        """Optimizer steps GradScaler skipped (counted, not recorded)."""
        return self.skips.count

    # -- hooks -------------------------------------------------------------------
    def _pre_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        attr = getattr(optimizer, "found_inf", None)
        found = attr if isinstance(attr, torch.Tensor) else None
        if found is not None:
            # A fused optimizer under GradScaler: step() runs on every iteration with the
            # gradients still scaled, and the kernel itself unscales them and skips the update
            # when found_inf is set. Skips are summed on the device (no sync); a recorded
            # step takes grad_scale and found_inf into its one transfer (_finish).
            self.skips.add_fused(found)
        else:
            skipped = self.skips.since_last()
            if skipped and not self.losses.after_step:
                self.losses.drop_skipped(skipped)
        if not self._groups:  # a model with no trainable parameter: nothing to measure
            return None
        if self.ranks is not None and not self.ranks.syncing():
            # A step inside DDP's no_sync(): this rank's gradients only, not a step of the job.
            self._unsynced = True
            return None
        self._recording = self.steps_seen % self.every == 0
        if not self._recording:
            return None
        self._amp = None if found is None else (getattr(optimizer, "grad_scale", None), found)
        self._lr = tuple(float(g["lr"]) for g in optimizer.param_groups)
        # args holds the optimizer itself first, then step()'s own arguments.
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
        self._listed, self._tensors, self._keep = [], [], {}
        self._measured = False
        if closure is None:
            self._measure_grads()  # borrows the snapshot buffer, so it goes first
            self._take_snapshot()
            return None
        self._take_snapshot()
        # Closure optimizers compute the gradient inside step(): measure it after
        # the first evaluation, which is at the weights the step starts from.
        state = {"first": True}

        def observed() -> Any:
            loss = closure()
            if state["first"]:
                state["first"] = False
                # The weight snapshot is already in the buffer: reduce gradients tensor by tensor.
                self._measure_grads(use_buffer=False)
                if isinstance(loss, torch.Tensor) and not self.loss_after_step:
                    self.losses.closure = loss.detach().reshape(-1)[:1].to(self.device, torch.float64)
            return loss

        if "closure" in kwargs:
            return args, {**kwargs, "closure": observed}
        return (args[0], observed, *args[2:]), kwargs

    def _post_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._groups:
            self.steps_seen += 1
            return
        if self._unsynced:
            # Not numbered, and its losses were this rank's own batches.
            self._unsynced = False
            self.losses.pending.clear()
            return
        index = self.steps_seen
        self.steps_seen += 1
        if not self._recording:
            self.losses.pending.clear()
            self._last_recorded = False
            return
        self._recording = False
        self.losses.settle()
        record = self._finish(index)
        self._listed, self._tensors, self._keep = [], [], {}  # this step's parts, done with
        if record is None:
            # A fused optimizer skipped this step: counted, not recorded, and not numbered, as
            # with GradScaler's unfused skip that never calls step(). (A skip on a step that is
            # not recorded is only seen at the end, so it still counts towards `every`.)
            self.steps_seen = index
            self._last_recorded = False
            return
        self.records.append(record)
        self._last_recorded = True
        if self.log is not None:
            self.log(index, self.figures(record))

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

    # -- measuring ---------------------------------------------------------------
    # A recorded step gathers its figures as parts: lists of 0-d tensors (one per tensor or
    # piece, from foreach calls and dots) and 1-D tensors (one entry per tensor), each named
    # by a Part. _finish stacks all lists in one call, joins them with the tensors, and turns
    # the lot into per-layer figures with one index_add_, by a _Plan worked out once per
    # arrangement of parts: per entry its layer's slot, its exponent, its multiplier.

    def _add(self, part: Part, values: list[torch.Tensor] | torch.Tensor) -> None:
        if isinstance(values, list):
            if values:
                self._listed.append((part, values))
        elif values.numel():
            self._tensors.append((part, values))

    def _measure_grads(self, use_buffer: bool = True) -> None:
        """Gradient norms (squares for large tensors) and non-zero counts of every tracked tensor.

        With use_buffer, many small gradients are first copied into the (free) snapshot
        buffer so they reduce by size class; the weight snapshot is taken after.
        """
        self._measured = True
        present: list[bool] = []
        factors: list[tuple[float, ...]] = []
        for k, g in enumerate(self._groups):
            grads = [p.grad for p in g.tracked]
            if self._sharded:
                grads = [None if x is None else distributed.local(x) for x in grads]
            dense = [x for x in grads if x is not None]
            complete = len(dense) == len(grads)
            present.extend([True] * len(grads) if complete else [x is not None for x in grads])
            n = g.n_small
            fast = complete and (use_buffer or g.few) and not (g.maybe_sparse and any(x.is_sparse for x in dense))
            rest = dense[n:] if fast else []
            samples, sampled = stats.nonzero_samples(rest)
            # Counts by foreach norm(0) are fp32, exact to 2^24: a non-contiguous gradient
            # counted whole past that goes the general way (count_nonzero, int64).
            if fast and all(x.numel() <= 1 << 24 for x in samples):
                if g.few:
                    if n:
                        self._add(Part(k, "g", "small", 2), stats.norm_list(dense[:n]))
                    if n or rest:
                        # Counts of the small gradients and of the large ones' samples: one call.
                        self._add(Part(k, "c", "all", 1, sampled=True), stats.norm_list(dense[:n] + samples, 0))
                else:
                    g.copy_small(dense)
                    self._add(Part(k, "g", "small", 2), stats.class_norms(g.views))
                    self._add(Part(k, "c", "small", 1), stats.class_nonzeros(g.views))
                    if rest:
                        self._add(Part(k, "c", "large", 1, sampled=True), stats.norm_list(samples, 0))
                if rest:
                    self._add(Part(k, "g", "large", 1), [stats.sum_of_squares(flat(t)) for t in rest])
                factors.append(sampled)
                continue
            # Missing or sparse gradients, or a closure's (the buffer holds the weights by then):
            # tensor by tensor, zeros where a gradient is missing.
            if complete:
                norms = stats.norms(dense).to(self.device, torch.float64)
                counts = stats.nonzeros(dense).to(self.device, torch.float64)
            else:
                norms = torch.zeros(len(grads), dtype=torch.float64, device=self.device)
                counts = torch.zeros(len(grads), dtype=torch.float64, device=self.device)
                if dense:
                    idx = self._present_index(k, tuple(x is not None for x in grads))
                    norms[idx] = stats.norms(dense).to(self.device, torch.float64)
                    counts[idx] = stats.nonzeros(dense).to(self.device, torch.float64)
            self._add(Part(k, "g", "all", 2), norms)
            self._add(Part(k, "c", "all", 1), counts)
            factors.append(())
        self._present = tuple(present)
        self._factors = tuple(factors)

    def _present_index(self, group: int, present: tuple[bool, ...]) -> torch.Tensor:
        """Positions of the gradients present, as a device tensor made once per pattern: built
        from a list each step, it would be a host-to-device copy, which waits for the GPU."""
        key = (group, present)
        idx = self._index_cache.get(key)
        if idx is None:
            idx = self._index_cache[key] = torch.tensor(
                [i for i, there in enumerate(present) if there], device=self.device
            )
        return idx

    def _take_snapshot(self) -> None:
        for k, g in enumerate(self._groups):
            n = g.n_small
            if n:
                g.copy_small(g.sampled)
                if g.few:
                    self._add(Part(k, "w", "small", 2), stats.norm_list(g.params[:n]))
                else:
                    self._add(Part(k, "w", "small", 2), stats.class_norms(g.views))
            if len(g.params) > n:
                self._large_snapshot(k, g)

    def _large_snapshot(self, k: int, g: Group) -> None:
        """Snapshot the large weights and add their squares.

        When the last post-step already copied these weights into the buffer and took
        their squares (while they were in cache) and nothing has written to them since,
        both are reused: no cold pass over the weights here. "Nothing has written" is
        checked twice: the version counters catch in-place ops on the parameters, and a
        comparison with the snapshot at one entry of every row (check_step) catches writes
        through `p.data`, which bypass the counters: WGAN-style `p.data.clamp_`, rows
        re-initialised or renormalised. A write through `p.data` to a few scattered
        entries can go unseen.
        """
        n = g.n_small
        cached = self._after_norms.pop(id(g), None)
        if cached is not None:
            kept, versions = cached
            if versions == [p._version for p in g.tracked[n:]] and all(torch.equal(a, b) for a, b in g.checks):
                self._add(Part(k, "w", "chunks", 1), kept)
                return
        if g.chunked and g.exact:
            # Piece by piece, so each piece's square is taken while it is in cache.
            squares = []
            for snap, weight in g.chunks:
                snap.copy_(weight)
                squares.append(stats.sum_of_squares(weight))
            self._add(Part(k, "w", "chunks", 1), squares)
            return
        torch._foreach_copy_(g.snapshot[n:], g.sampled[n:])
        self._add(Part(k, "w", "large", 2), stats.norm_list(g.params[n:]))

    def _update_norms(self) -> None:
        for k, g in enumerate(self._groups):
            n = g.n_small
            if n:
                g.sub_small()  # the snapshot now holds W_before - W_after
                if g.few:
                    self._add(Part(k, "u", "small", 2), stats.norm_list(g.snapshot[:n]))
                else:
                    self._add(Part(k, "u", "small", 2), stats.class_norms(g.views))
            if len(g.snapshot) == n:
                continue
            if not g.chunked:
                torch._foreach_sub_(g.snapshot[n:], g.sampled[n:])
                self._add(Part(k, "u", "large", 2, sampled=not g.exact), stats.norm_list(g.snapshot[n:]))
                continue
            # The next step is recorded: keep its weight squares and snapshot, taken here while
            # in cache. Exact mode only: a sampled piece is not the whole weight.
            keep = g.exact and self.steps_seen % self.every == 0
            self._large_updates(k, g, keep)
            if keep:
                self._keep[k] = [p._version for p in g.tracked[n:]]

    def _large_updates(self, k: int, g: Group, keep: bool) -> None:
        """||W_before - W_after||^2 of the large tensors, piece by piece (and ||W_after||^2, the
        next step's weight square, with the next snapshot, when `keep`).

        Each piece's difference and squares are taken while it is still in cache, instead
        of three passes over tensors larger than the cache. A few dozen calls per step, not
        one per parameter. Pieces are summed per tensor in float64 (in _finish): a sum of
        finite fp32 squares can pass fp32's range (norms past ~1.8e19).
        """
        squares, weights = [], []
        for diff, weight in g.chunks:
            diff.sub_(weight)
            squares.append(stats.sum_of_squares(diff))
            if keep:
                weights.append(stats.sum_of_squares(weight))
                diff.copy_(weight)  # the next step's snapshot, taken while the piece is in cache
        self._add(Part(k, "u", "chunks", 1, sampled=not g.exact), squares)
        if keep:
            self._add(Part(k, "next", "chunks", 1), weights)

    def _finish(self, index: int) -> StepRecord | None:
        L = self._nlayers
        if not self._measured:  # a closure that never ran: nothing measured at the step's start
            self._measure_grads(use_buffer=False)
        self._update_norms()
        values, plan = self._gather()
        # One vector of per-entry figures -> squares (pow_ by exponent), scaled (sampled
        # counts, low mode's updates), summed per layer and figure in one index_add_.
        values.pow_(plan.exp)
        if plan.mult is not None:
            values.mul_(plan.mult)
        per_layer = torch.zeros(4 * L + 1, dtype=torch.float64, device=self.device).index_add_(0, plan.dest, values)
        loss = self.losses.take(self.device)
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
        shares = torch.sub(self._share_numel, counts).mul_(self._share_inv).abs_()
        # A fused optimizer under GradScaler saw scaled gradients: their norms are divided by
        # the scale here, and whether the kernel skipped the step comes with the transfer.
        amp, self._amp = self._amp, None
        tail = [loss]
        if amp is not None:
            scale, found = amp
            if isinstance(scale, torch.Tensor):  # None: the user called unscale_ already
                per_layer[:L].div_(scale.reshape(1).to(self.device, torch.float64))
            tail.append(found.reshape(1).to(self.device, torch.float64))
        # The step's one device -> host transfer:
        flat = torch.cat([per_layer[: 3 * L], shares, *tail]).tolist()
        g_l, w_l, u_l = flat[0:L], flat[L : 2 * L], flat[2 * L : 3 * L]
        zero_frac, dead = flat[3 * L : 4 * L], flat[4 * L : 5 * L]
        loss_value = flat[5 * L]
        if amp is not None and flat[5 * L + 1] > 0:
            return None
        total_norm = math.hypot(*g_l)
        has_grad = self._layer_has_grad()
        for i, norm in self._frozen_norms.items():
            w_l[i] = norm
        bad_g = [0] * L
        bad_w = [0] * L
        # One sum instead of a check per figure: NaN and Inf survive addition.
        if not math.isfinite(sum(g_l) + sum(w_l) + sum(u_l) + total_norm):
            large = plan.large_updates(values.tolist())
            # (Under a fused optimizer the kernel has written the unscaled gradients back by now.)
            g_l, w_l, u_l, total_norm, bad_g, bad_w = self._slow_path(g_l, w_l, u_l, large)
        return StepRecord(
            step=index,
            loss=None if math.isnan(loss_value) and self.losses.missing else loss_value,
            total_grad_norm=total_norm,
            lr=self._lr,
            grad_norm=tuple(g_l),
            weight_norm=tuple(w_l),
            update_norm=tuple(u_l),
            nonfinite_grad=tuple(bad_g),
            nonfinite_weight=tuple(bad_w),
            zero_grad_frac=tuple(zero_frac),
            has_grad=has_grad,
            dead_unit_frac=tuple(dead),
        )

    def _gather(self) -> tuple[torch.Tensor, Plan]:
        """This step's parts as one float64 vector (lists first, in one stack), and its plan;
        keeps the next step's weight squares (a slice of the stack) for groups in _keep."""
        listed = [t for _, values in self._listed for t in values]
        pieces: list[torch.Tensor] = []
        if listed:
            first = listed[0]
            # A part's entries come from one group, so its first entry speaks for it.
            if all(v[0].dtype == first.dtype and v[0].device == first.device for _, v in self._listed):
                # .to: the groups' one device need not be the probe's (a model split over GPUs).
                pieces.append(torch.stack(listed).to(self.device))
            else:  # groups of several dtypes or devices: one stack per part
                pieces.append(torch.cat([torch.stack(v).to(self.device, torch.float64) for _, v in self._listed]))
            offset = 0
            for part, values in self._listed:
                if part.figure == "next":
                    self._after_norms[id(self._groups[part.group])] = (
                        pieces[0][offset : offset + len(values)],
                        self._keep[part.group],
                    )
                offset += len(values)
        pieces += [t.to(self.device) for _, t in self._tensors]
        joined = torch.cat(pieces) if len(pieces) > 1 else pieces[0]
        key = (tuple(p for p, _ in self._listed), tuple(p for p, _ in self._tensors), self._factors)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = make_plan(key[0] + key[1], self._groups, self._factors, self.layout, self.device)
        return joined.to(torch.float64, copy=True), plan

    def _layer_has_grad(self) -> tuple[bool, ...]:
        if all(self._present):
            return self._all_present
        has = [False] * self._nlayers
        for pos, present in zip(self._order, self._present, strict=True):
            if present:
                has[self.layout.layer_of[pos]] = True
        return tuple(has)

    def _slow_path(
        self, g_l: list[float], w_l: list[float], u_l: list[float], large: dict[tuple[int, int], float]
    ) -> tuple[list[float], list[float], list[float], float, list[int], list[int]]:
        """Some figure is NaN/Inf: count bad entries and redo overflowed norms in float64."""
        layout = self.layout
        L = self._nlayers
        # Where the buffer still holds W_before - W_after of a whole tensor (small tensors; large
        # ones unless this step copied the next snapshot in, or only a sample is kept), the
        # weights before the step and the update can be redone exactly.
        diffs: dict[int, torch.Tensor] = {}
        for k, g in enumerate(self._groups):
            for j, (pos, held) in enumerate(zip(g.positions, g.snapshot, strict=True)):
                if j < g.n_small or (k not in self._keep and g.sampled[j] is g.params[j]):
                    diffs[pos] = held
        # A replicated tensor in a sharded job is counted by another rank (distributed.py).
        elsewhere = {pos for g in self._groups if g.weight == 0.0 for pos in g.positions}
        bad_g, bad_w = [0] * L, [0] * L
        grad_sq, weight_sq = [0.0] * L, [0.0] * L
        total_sq = 0.0
        for pos, (param, layer) in enumerate(zip(layout.tracked, layout.layer_of, strict=True)):
            if pos in elsewhere:
                continue
            grad, data = param.grad, param.detach()
            if self._sharded:  # this rank's shards
                grad, data = None if grad is None else distributed.local(grad), distributed.local(data)
            ng, nw = stats.count_nonfinite(grad), stats.count_nonfinite(data)
            bad_g[layer] += ng
            bad_w[layer] += nw
            if grad is not None:
                value = math.nan if ng else stats.exact_norm(grad)
                grad_sq[layer] += value * value
                total_sq += value * value
            diff = diffs.get(pos)
            weights = data if diff is None else data.double() + diff.double()
            weight_sq[layer] += (math.nan if nw else stats.exact_norm(weights)) ** 2
        update_sq = [0.0] * L
        overflowed = any(math.isinf(u) for u in u_l)
        if overflowed:
            for k, g in enumerate(self._groups):
                for j, pos in enumerate(g.positions):
                    if pos in elsewhere:
                        continue
                    diff = diffs.get(pos)
                    square = stats.exact_norm(diff) ** 2 if diff is not None else large.get((k, j), 0.0)
                    update_sq[layout.layer_of[pos]] += square
        if self.ranks is not None:
            # Every rank is here (the figures that sent it are the job's): one more collective,
            # on this exceptional path only.
            stacked = torch.tensor(bad_g + bad_w + grad_sq + weight_sq + update_sq, dtype=torch.float64)
            whole = self.ranks.sum(stacked.to(self.device)).tolist()
            bad_g, bad_w = [round(v) for v in whole[:L]], [round(v) for v in whole[L : 2 * L]]
            grad_sq, weight_sq, update_sq = whole[2 * L : 3 * L], whole[3 * L : 4 * L], whole[4 * L :]
            total_sq = sum(grad_sq)
        g_new = [math.sqrt(v) if math.isfinite(v) else v for v in grad_sq]
        # Only replace weight norms that overflowed (where no diff is kept, by the norm after the step).
        w_new = [w if math.isfinite(w) else math.sqrt(s) for w, s in zip(w_l, weight_sq, strict=True)]
        u_new = u_l
        if overflowed:
            u_new = [u if not math.isinf(u) else math.sqrt(v) for u, v in zip(u_l, update_sq, strict=True)]
        return g_new, w_new, u_new, math.sqrt(total_sq), bad_g, bad_w

    def figures(self, record: StepRecord) -> dict[str, Any]:
        """One step's figures keyed by layer name, for a user's logger."""
        return {
            "step": record.step,
            "loss": record.loss,
            "total_grad_norm": record.total_grad_norm,
            "layers": {layer.name: record.layer(i) for i, layer in enumerate(self.layout.layers)},
        }
