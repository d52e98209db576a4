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
class, not per tensor). Large tensors are worked in cache-sized chunks. For
tensors of 64k entries and more the zero-gradient share is estimated on runs of
entries spread over the tensor (stats.spread_runs); every other figure is exact.

Memory: the update ||W_after - W_before|| needs the weights before the step.
`memory="exact"` keeps one flat copy of the trainable parameters (1.0x their
bytes); `memory="low"` keeps a fixed strided sample of each large tensor (about
1/STRIDE of its entries) and copies small tensors whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gradscope import stats
from gradscope.types import LayerInfo, Role, StepRecord

StepLog = Callable[[int, dict[str, Any]], None]

# Sampling in low-memory mode: a prime stride so the sample does not alias
# with row lengths, applied only to tensors large enough for a stable estimate.
STRIDE = stats.SAMPLE_STRIDE
SAMPLE_MIN = stats.LARGE

NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()),
)
EMBEDDING_TYPES: tuple[type[nn.Module], ...] = (nn.Embedding, nn.EmbeddingBag)
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.Sigmoid,
    nn.Tanh,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
    nn.Hardtanh,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.Tanhshrink,
    nn.Softsign,
    nn.LogSigmoid,
)


def role_of(module: nn.Module, params: Sequence[torch.Tensor]) -> Role:
    if isinstance(module, NORM_TYPES) or "norm" in type(module).__name__.lower():
        return Role.NORM
    if isinstance(module, EMBEDDING_TYPES):
        return Role.EMBEDDING
    if any(p.dim() >= 2 for p in params):
        return Role.DENSE
    return Role.OTHER


@dataclass
class Layout:
    """Which tensors are measured, and under which layer; built once per model."""

    layers: tuple[LayerInfo, ...]
    tracked: list[torch.nn.Parameter]  # requires_grad parameters, deduplicated, model order
    layer_of: list[int]  # tracked[i] belongs to layers[layer_of[i]]
    bias_of: list[int]  # per layer: index into tracked of its 1-D "bias", or -1
    numel: list[int]  # per layer: entries of its tracked parameters


def discover(model: nn.Module, optimizer: torch.optim.Optimizer) -> Layout:
    """Layers in model order, shared parameters counted once under their first owner."""
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    owner: dict[int, int] = {}  # id(param) -> layer index
    shared: dict[int, list[str]] = {}
    drafts: list[dict[str, Any]] = []
    tracked: list[torch.nn.Parameter] = []
    layer_of: list[int] = []
    bias_of: list[int] = []
    modules = list(model.named_modules())
    for mname, module in modules:
        own = list(module.named_parameters(recurse=False))
        if not own:
            continue
        name = mname or "(root)"
        fresh = [(pname, p) for pname, p in own if id(p) not in owner]
        for _, p in own:
            if id(p) in owner:
                shared.setdefault(owner[id(p)], []).append(name)
        if not fresh:
            continue
        index = len(drafts)
        bias_index = -1
        for pname, p in fresh:
            owner[id(p)] = index
            if p.requires_grad:
                if pname == "bias" and p.dim() == 1:
                    bias_index = len(tracked)
                tracked.append(p)
                layer_of.append(index)
        bias_of.append(bias_index)
        trainable = [p for _, p in fresh if p.requires_grad]
        drafts.append(
            {
                "name": name,
                "kind": type(module).__name__,
                "params": sum(p.numel() for _, p in fresh),
                "role": role_of(module, [p for _, p in fresh]),
                "param_names": tuple(f"{mname}.{pn}" if mname else pn for pn, _ in fresh),
                "trainable": bool(trainable),
                "optimized": all(id(p) in in_optimizer for p in trainable),
                "numel": sum(p.numel() for p in trainable),
            }
        )
    activations = _following_activations(modules)
    layers = tuple(
        LayerInfo(
            name=d["name"],
            kind=d["kind"],
            params=d["params"],
            role=d["role"],
            param_names=d["param_names"],
            trainable=d["trainable"],
            optimized=d["optimized"],
            shared_with=tuple(shared.get(i, ())),
            activation=activations.get(d["name"], (None, None))[0],
            activation_name=activations.get(d["name"], (None, None))[1],
        )
        for i, d in enumerate(drafts)
    )
    return Layout(layers, tracked, layer_of, bias_of, [d["numel"] for d in drafts])


def _following_activations(modules: list[tuple[str, nn.Module]]) -> dict[str, tuple[str, str]]:
    """For each parametrised module, the first activation module after it in model order."""
    found: dict[str, tuple[str, str]] = {}
    pending: list[str] = []
    for mname, module in modules:
        if isinstance(module, ACTIVATION_TYPES):
            for name in pending:
                found[name] = (type(module).__name__, mname)
            pending = []
            continue
        if any(True for _ in module.parameters(recurse=False)):
            pending = [mname or "(root)"]
    for mname, module in modules:
        if isinstance(module, nn.RNN):  # the nonlinearity lives inside the module
            found[mname or "(root)"] = ("Tanh" if module.nonlinearity == "tanh" else "ReLU", mname)
    return found


# Large tensors are worked through in pieces of this many entries (2 MB in fp32), so a
# piece's difference and norms are taken while it is in cache (2 MB pieces measured
# 5-10% faster than 4 MB ones on a 32 MB L3; smaller ones pay more per-call cost).
CHUNK = 1 << 19


def _flat(t: torch.Tensor) -> torch.Tensor:
    """A 1-D view sharing t's storage (a strided sample is already 1-D)."""
    return t.view(-1) if t.is_contiguous() else t


# Tensors below this size are reduced by size class from the flat buffer: one op per
# class instead of one per tensor, which on CPU costs ~1 us each (1.2 ms for 1200).
SMALL = 1 << 16
# Up to this many small tensors, one foreach call over them (which loops per tensor in
# C++) is cheaper than copying them into the buffer and reducing class by class: every
# op issued costs 5-30 us just after backward or the optimizer has swept the caches.
FEW = 16


@dataclass
class _Group:
    """Tracked parameters of one (device, dtype), with their snapshot storage.

    The buffer holds the small tensors first, sorted by size so that tensors of
    one size sit side by side and a [count, size] view reduces them all in one
    call; the large tensors follow. Everything per parameter is in this order.
    """

    device: torch.device
    dtype: torch.dtype
    positions: list[int]  # indices into Layout.tracked, in buffer order
    params: list[torch.Tensor]  # detached views of the parameters
    sampled: list[torch.Tensor]  # what is snapshotted: the whole tensor or a strided sample of it
    snapshot: list[torch.Tensor]  # views into `buffer`, one per entry of `sampled`
    scale: torch.Tensor  # sqrt(numel / sampled numel) per large tensor, to scale a sampled norm
    buffer: torch.Tensor
    exact: bool
    n_small: int  # the first n_small tensors are small
    classes: list[tuple[int, int, int]]  # (first tensor, count, size) of equal-shape small tensors
    views: list[torch.Tensor]  # per class: the buffer as [count, size]
    stacked: list[torch.Tensor]  # per class: the buffer as [count, *shape], for torch.stack(out=)
    tracked: list[torch.nn.Parameter]  # the parameters themselves, in buffer order
    maybe_sparse: bool  # an Embedding with sparse=True could give sparse gradients
    chunks: list[tuple[torch.Tensor, torch.Tensor]]  # (snapshot, sampled) pieces of the large tensors
    chunk_index: torch.Tensor  # per chunk, its large tensor; then again offset by their count (weights)
    nnz_scales: dict[tuple[float, ...], torch.Tensor]  # per large tensor: entries / sampled entries
    check_steps: list[int]  # per large tensor: check_step of it

    @property
    def few(self) -> bool:
        return self.n_small <= FEW

    def copy_small(self, tensors: list[torch.Tensor]) -> None:
        """Copy the small tensors into the buffer: one stack per shape class (2x faster
        than a foreach copy on CPU, which dispatches per tensor)."""
        if self.few:
            if self.n_small:
                torch._foreach_copy_(self.snapshot[: self.n_small], tensors[: self.n_small])
            return
        for (first, count, _), out in zip(self.classes, self.stacked, strict=True):
            torch.stack(tensors[first : first + count], out=out)

    def small_norms(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        """Norms of the small tensors; unless they are few, `tensors` must be the ones in the buffer."""
        if self.few:
            return stats.norms(tensors[: self.n_small]) if self.n_small else self.scale[:0]
        return stats.class_norms(self.views)

    def small_nonzeros(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        if self.few:
            return stats.nonzeros(tensors[: self.n_small]) if self.n_small else self.scale[:0]
        return stats.class_nonzeros(self.views)


def _make_group(positions: list[int], tracked: list[torch.nn.Parameter], memory: str) -> _Group:
    small = sorted(
        (p for p in positions if tracked[p].numel() < SMALL),
        key=lambda p: (tracked[p].numel(), tuple(tracked[p].shape)),
    )
    large = [p for p in positions if tracked[p].numel() >= SMALL]
    positions = small + large
    params = [tracked[i].detach() for i in positions]
    sampled: list[torch.Tensor] = []
    for p in params:
        if memory == "low" and p.numel() >= SAMPLE_MIN and p.is_contiguous():
            offset = int(torch.randint(0, STRIDE, (1,), generator=torch.Generator().manual_seed(p.numel())))
            sampled.append(p.view(-1)[offset::STRIDE])
        else:
            sampled.append(p)
    sizes = [t.numel() for t in sampled]
    first = params[0]
    buffer = torch.empty(sum(sizes), dtype=first.dtype, device=first.device)
    snapshot: list[torch.Tensor] = []
    start = 0
    classes: list[tuple[int, int, int]] = []
    offsets: list[int] = []
    for i, (t, size) in enumerate(zip(sampled, sizes, strict=True)):
        snapshot.append(buffer[start : start + size].view(t.shape))
        if i < len(small):
            if classes and params[i - 1].shape == t.shape and i > 0:
                a, k, n = classes[-1]
                classes[-1] = (a, k + 1, n)
            else:
                classes.append((i, 1, size))
                offsets.append(start)
        start += size
    views = [buffer[o : o + k * n].view(k, n) for o, (_, k, n) in zip(offsets, classes, strict=True)]
    stacked = [v.view(k, *params[first].shape) for v, (first, k, _) in zip(views, classes, strict=True)]
    chunks: list[tuple[torch.Tensor, torch.Tensor]] = []
    owners: list[int] = []
    for j, (snap, sample) in enumerate(zip(snapshot[len(small) :], sampled[len(small) :], strict=True)):
        flat = _flat(sample)
        if flat.dim() != 1:  # a non-contiguous parameter: one piece, in its own shape
            chunks.append((snap, sample))
            owners.append(j)
            continue
        for piece in zip(torch.split(snap.reshape(-1), CHUNK), torch.split(flat, CHUNK), strict=True):
            chunks.append(piece)
            owners.append(j)
    scale = torch.tensor(
        [
            math.sqrt(p.numel() / max(t.numel(), 1))
            for p, t in zip(params[len(small) :], sampled[len(small) :], strict=True)
        ],
        dtype=torch.float64,
        device=first.device,
    )
    return _Group(
        device=first.device,
        dtype=first.dtype,
        positions=positions,
        params=params,
        sampled=sampled,
        snapshot=snapshot,
        scale=scale,
        buffer=buffer,
        exact=all(t is p for t, p in zip(sampled, params, strict=True)),
        n_small=len(small),
        classes=classes,
        views=views,
        stacked=stacked,
        tracked=[tracked[i] for i in positions],
        maybe_sparse=False,
        chunks=chunks,
        chunk_index=torch.tensor(owners + [o + len(large) for o in owners], dtype=torch.long, device=first.device),
        nnz_scales={},
        check_steps=[check_step(p) for p in params[len(small) :]],
    )


@dataclass
class Probe:
    """Per-step, per-layer gradient and update figures for one model and optimizer."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    every: int = 1
    memory: str = "exact"
    log: StepLog | None = None
    scaler: Any = None  # torch.amp.GradScaler, to count the steps it skipped
    records: list[StepRecord] = field(default_factory=list)
    skipped: int = 0
    steps_seen: int = 0

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be >= 1")
        if self.memory not in ("exact", "low"):
            raise ValueError('memory must be "exact" or "low"')
        self.layout = discover(self.model, self.optimizer)
        self._handles: list[Any] = []
        self._pending_loss: list[Any] = []
        self._late_losses: list[tuple[int, Any]] = []
        # Per group: next step's large-weight norms and the parameters' version counters.
        self._after_norms: dict[int, tuple[torch.Tensor, list[int]]] = {}
        self._loss_after_step: bool | None = None
        self._step_loss: torch.Tensor | None = None
        self._grads: tuple[torch.Tensor, torch.Tensor] | None = None
        self._present: tuple[bool, ...] = ()
        self._weights: torch.Tensor | None = None
        self._recording = False
        self._last_scale: float | None = None
        self._lr: tuple[float, ...] = ()
        self._last_recorded = False
        self._no_loss = False
        layout = self.layout
        self.device = layout.tracked[0].device if layout.tracked else torch.device("cpu")
        by_key: dict[tuple[torch.device, torch.dtype], list[int]] = {}
        for i, p in enumerate(layout.tracked):
            by_key.setdefault((p.device, p.dtype), []).append(i)
        self._groups = [_make_group(pos, layout.tracked, self.memory) for pos in by_key.values()]
        order = [i for g in self._groups for i in g.positions]
        # Figures are computed group by group; this maps them back to layers.
        self._layer_index = torch.tensor([layout.layer_of[i] for i in order], device=self.device)
        self._bias_index = torch.tensor(
            [order.index(b) if b >= 0 else 0 for b in layout.bias_of], device=self.device, dtype=torch.long
        )

        # Zero share and dead share per layer, on the device: (entries - non-zero) / entries,
        # exactly 0 when every entry is non-zero, and 0 for a layer with no tracked entries
        # (zero share) or no bias (dead share): their factor is 0.
        sizes = [
            list(map(float, layout.numel)),
            [float(layout.tracked[b].numel()) if b >= 0 else 0.0 for b in layout.bias_of],
        ]
        self._share_numel = torch.tensor(sizes, device=self.device, dtype=torch.float64)
        self._share_inv = torch.tensor(
            [[1.0 / m if m else 0.0 for m in row] for row in sizes], device=self.device, dtype=torch.float64
        )
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
                params = [p.detach() for p in module.parameters(recurse=False)]
                out[i] = math.sqrt(sum(float(stats.norms([p]).to(torch.float64)[0]) ** 2 for p in params))
        return out

    # -- attaching -------------------------------------------------------------
    def attach(self) -> None:
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
        tensors = [self._layer_index, self._bias_index, self._share_numel, self._share_inv]
        tensors += [g.scale for g in self._groups]
        tensors += [norms for norms, _ in self._after_norms.values()]
        return self.snapshot_bytes + sum(t.numel() * t.element_size() for t in tensors)

    # -- the loss ----------------------------------------------------------------
    def add_loss(self, value: Any) -> None:
        """Hand over a loss; it belongs to the step it was computed for (see Watch.loss).

        Nothing here touches the device: a tensor is kept as it is and joins the
        step's single transfer, and a loss for a step that is not recorded is dropped.
        """
        if self._loss_after_step:
            # The user hands the loss over after optimizer.step(): it is the last step's.
            if self._last_recorded and self.records and self.records[-1].loss is None:
                self._late_losses.append((len(self.records) - 1, value))
            return
        if self._loss_after_step is None or self.steps_seen % self.every == 0:
            self._pending_loss.append(value)

    def resolve_losses(self) -> None:
        """Attach losses handed over after their step, in one transfer for all of them."""
        if not self._late_losses:
            return
        values = torch.stack([_loss_tensor(v, self.device) for _, v in self._late_losses]).tolist()
        for (index, _), loss in zip(self._late_losses, values, strict=True):
            self.records[index] = _with_loss(self.records[index], loss)
        self._late_losses.clear()

    # -- hooks -------------------------------------------------------------------
    def _pre_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._count_skipped()
        if not self._groups:  # a model with no trainable parameter: nothing to measure
            return None
        self._recording = self.steps_seen % self.every == 0
        if not self._recording:
            return None
        self._lr = tuple(float(g["lr"]) for g in optimizer.param_groups)
        # args holds the optimizer itself first, then step()'s own arguments.
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
        if closure is None:
            self._grads = self._measure_grads()  # borrows the snapshot buffer, so it goes first
            self._weights = self._take_snapshot()
            return None
        self._weights = self._take_snapshot()
        # Closure optimizers compute the gradient inside step(): measure it after
        # the first evaluation, which is at the weights the step starts from.
        state = {"first": True}

        def observed() -> Any:
            loss = closure()
            if state["first"]:
                state["first"] = False
                # The weight snapshot is already in the buffer: reduce gradients tensor by tensor.
                self._grads = self._measure_grads(use_buffer=False)
                if isinstance(loss, torch.Tensor):
                    self._step_loss = loss.detach().reshape(-1)[:1].to(self.device, torch.float64)
            return loss

        if "closure" in kwargs:
            return args, {**kwargs, "closure": observed}
        return (args[0], observed, *args[2:]), kwargs

    def _post_step(self, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._groups:
            self.steps_seen += 1
            return
        index = self.steps_seen
        self.steps_seen += 1
        if not self._recording:
            self._pending_loss.clear()
            self._last_recorded = False
            return
        self._recording = False
        if self._loss_after_step is None:
            self._loss_after_step = not self._pending_loss and self._step_loss is None
        record = self._finish(index)
        self.records.append(record)
        self._last_recorded = True
        if self.log is not None:
            self.log(index, self.figures(record))

    def _count_skipped(self) -> None:
        """GradScaler skips optimizer.step on inf/NaN gradients and halves its scale."""
        if self.scaler is None or not getattr(self.scaler, "is_enabled", lambda: False)():
            return
        scale = float(self.scaler.get_scale())
        if self._last_scale is not None and scale < self._last_scale:
            backoff = float(self.scaler.get_backoff_factor())
            self.skipped += max(1, round(math.log(self._last_scale / scale) / math.log(1.0 / backoff)))
        self._last_scale = scale

    def finish(self) -> None:
        """Count skips after the last executed step; attach losses handed over late."""
        self._count_skipped()
        self.resolve_losses()

    # -- measuring ---------------------------------------------------------------
    def _take_snapshot(self) -> torch.Tensor:
        weight_norms = []
        for g in self._groups:
            g.copy_small(g.sampled)
            small = g.small_norms(g.params)
            weight_norms.append(torch.cat([small, self._large_snapshot(g)]) if len(g.params) > g.n_small else small)
        return torch.cat(weight_norms)

    def _large_snapshot(self, g: _Group) -> torch.Tensor:
        """Snapshot the large weights and return their norms.

        When the last post-step already copied these weights into the buffer and took
        their norms (while they were in cache) and nothing has written to them since,
        both are reused: no cold pass over the weights here. "Nothing has written" is
        checked twice: the version counters catch in-place ops on the parameters, and a
        comparison with the snapshot at one entry of every row (check_step) catches writes
        through `p.data`, which bypass the counters: WGAN-style `p.data.clamp_`, rows
        re-initialised or renormalised. A write through `p.data` to a few scattered
        entries can go unseen.
        """
        cached = self._after_norms.pop(id(g), None)
        if cached is not None:
            norms, versions = cached
            large = zip(g.params[g.n_small :], g.snapshot[g.n_small :], g.check_steps, strict=True)
            if versions == [p._version for p in g.tracked[g.n_small :]] and all(
                _same_sample(p, snap, step) for p, snap, step in large
            ):
                return norms
        torch._foreach_copy_(g.snapshot[g.n_small :], g.sampled[g.n_small :])
        return stats.norms(g.params[g.n_small :])

    def _measure_grads(self, use_buffer: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradient norms and non-zero counts per tracked tensor, in buffer order.

        With use_buffer, small gradients are first copied into the (free) snapshot
        buffer so they reduce by size class; the weight snapshot is taken after.
        """
        gnorm, nnz = [], []
        present: list[bool] = []
        for g in self._groups:
            grads = [p.grad for p in g.tracked]
            dense = [x for x in grads if x is not None]
            complete = len(dense) == len(grads)
            present.extend([True] * len(grads) if complete else [x is not None for x in grads])
            if complete and (use_buffer or g.few) and not (g.maybe_sparse and any(x.is_sparse for x in dense)):
                if not g.few:
                    g.copy_small(dense)
                n_small, z_small = g.small_norms(dense), g.small_nonzeros(dense)
                rest = dense[g.n_small :]
                if rest:
                    gnorm.append(torch.cat([n_small, stats.large_norms(rest)]))
                    counts, factors = stats.sample_nonzeros(rest)
                    scale = g.nnz_scales.get(factors)
                    if scale is None:  # once per layout of the gradients, not per step
                        scale = g.nnz_scales[factors] = torch.tensor(factors, dtype=torch.float64, device=g.device)
                    nnz.append(torch.cat([z_small, counts * scale]))
                else:
                    gnorm.append(n_small)
                    nnz.append(z_small)
                continue
            if complete:
                gnorm.append(stats.norms(dense).to(self.device, torch.float64))
                nnz.append(stats.nonzeros(dense).to(self.device, torch.float64))
                continue
            n = torch.zeros(len(grads), dtype=torch.float64, device=self.device)
            z = torch.zeros(len(grads), dtype=torch.float64, device=self.device)
            where = [i for i, x in enumerate(grads) if x is not None]
            if where:
                idx = torch.tensor(where, device=self.device)
                n[idx] = stats.norms(dense).to(self.device, torch.float64)
                z[idx] = stats.nonzeros(dense).to(self.device, torch.float64)
            gnorm.append(n)
            nnz.append(z)
        self._present = tuple(present)
        return torch.cat(gnorm), torch.cat(nnz)

    def _update_norms(self) -> torch.Tensor:
        out = []
        for g in self._groups:
            n = g.n_small
            if n:
                torch._foreach_sub_(g.snapshot[:n], g.sampled[:n])  # snapshot now holds W_before - W_after
            small = g.small_norms(g.snapshot)
            if len(g.snapshot) > n:
                # The next step is recorded: keep its weight norms and snapshot, taken here
                # while in cache. Exact mode only (a sampled piece is not the whole weight),
                # and CPU only: on CUDA bandwidth is plentiful and the reuse check would
                # cost a second host sync per step.
                keep_after = g.exact and g.device.type == "cpu" and self.steps_seen % self.every == 0
                large, after = self._large_updates(g, keep_after)
                if keep_after:
                    self._after_norms[id(g)] = (after, [p._version for p in g.tracked[n:]])
            else:
                large = small[:0]
            out.append(torch.cat([small, large]))
        return torch.cat(out)

    def _large_updates(self, g: _Group, with_weights: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """||W_before - W_after|| of the large tensors (and ||W_after||, the next step's weight norm).

        Worked through in chunks that fit the last-level cache: each chunk's difference
        and norms are taken while it is still in cache, instead of three passes over
        tensors larger than the cache. A few dozen calls per step, not one per parameter.
        """
        squares, weights = [], []
        for diff, weight in g.chunks:
            diff.sub_(weight)
            squares.append(stats.sum_of_squares(diff))
            if with_weights:
                weights.append(stats.sum_of_squares(weight))
                diff.copy_(weight)  # the next step's snapshot, taken while the piece is in cache
        # One index_add_ sums the chunks' squares per tensor: updates first, then weights.
        count = len(g.snapshot) - g.n_small
        # In float64: a sum of finite fp32 squares can pass fp32's range (norms past ~1.8e19).
        pieces = torch.stack(squares + weights).to(torch.float64)
        index = g.chunk_index[: len(pieces)]
        summed = torch.zeros(len(pieces) // len(squares) * count, dtype=torch.float64, device=g.device)
        summed = summed.index_add_(0, index, pieces).sqrt_()
        update = summed[:count] if g.exact else summed[:count] * g.scale
        return update, summed[count:]

    def _finish(self, index: int) -> StepRecord:
        L = self._nlayers
        if self._grads is None:  # a closure that never ran: nothing to measure
            self._grads = self._measure_grads(use_buffer=False)
        gnorm, nnz = self._grads
        wnorm = self._weights if self._weights is not None else torch.zeros_like(gnorm)
        unorm = self._update_norms()
        # Rows: gradient, weight and update norms, then non-zero counts, per tracked tensor;
        # summed per layer (squares for the norms) in one index_add_.
        per_param = torch.stack([gnorm, wnorm, unorm, nnz]).to(torch.float64)
        per_param[:3].square_()
        zeros = torch.zeros(4, L, dtype=torch.float64, device=self.device)
        per_layer = zeros.index_add_(1, self._layer_index, per_param)
        per_layer[:3].sqrt_()
        # Rows: zero share of each layer's gradient, and dead share: a unit is dead when its bias
        # gradient is exactly zero for the whole batch; without a bias the weight's zero share
        # mixes dead units with inputs that were zero, so no figure. abs_ turns the -0.0 of
        # (0 - count) * 0 into 0.0.
        counts = torch.stack([per_layer[3], per_param[3][self._bias_index]])
        shares = torch.sub(self._share_numel, counts).mul_(self._share_inv).abs_()
        loss = self._take_loss()
        # The step's one device -> host transfer:
        flat = torch.cat([per_layer[:3].reshape(-1), shares.reshape(-1), loss]).tolist()
        g_l, w_l, u_l = flat[0:L], flat[L : 2 * L], flat[2 * L : 3 * L]
        zero_frac, dead = flat[3 * L : 4 * L], flat[4 * L : 5 * L]
        loss_value = flat[5 * L]
        total_norm = math.hypot(*g_l)
        has_grad = self._layer_has_grad()
        for i, norm in self._frozen_norms.items():
            w_l[i] = norm
        bad_g = [0] * L
        bad_w = [0] * L
        # One sum instead of a check per figure: NaN and Inf survive addition.
        if not math.isfinite(sum(g_l) + sum(w_l) + sum(u_l) + total_norm):
            g_l, w_l, u_l, total_norm, bad_g, bad_w = self._slow_path(g_l, w_l, u_l, unorm)
        self._grads = None
        self._weights = None
        return StepRecord(
            step=index,
            loss=None if math.isnan(loss_value) and self._no_loss else loss_value,
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

    def _take_loss(self) -> torch.Tensor:
        self._no_loss = False
        if self._step_loss is not None:
            value, self._step_loss = self._step_loss, None
            self._pending_loss.clear()
            return value
        if len(self._pending_loss) == 1:
            return _loss_tensor(self._pending_loss.pop(), self.device).reshape(1)
        if self._pending_loss:
            # Several losses for one step: gradient accumulation; the step's loss is their mean.
            value = torch.stack([_loss_tensor(v, self.device) for v in self._pending_loss]).mean().reshape(1)
            self._pending_loss.clear()
            return value
        self._no_loss = True
        return torch.full((1,), math.nan, dtype=torch.float64, device=self.device)

    def _layer_has_grad(self) -> tuple[bool, ...]:
        if all(self._present):
            return self._all_present
        has = [False] * self._nlayers
        for pos, present in zip(self._order, self._present, strict=True):
            if present:
                has[self.layout.layer_of[pos]] = True
        return tuple(has)

    def _slow_path(
        self, g_l: list[float], w_l: list[float], u_l: list[float], unorm: torch.Tensor
    ) -> tuple[list[float], list[float], list[float], float, list[int], list[int]]:
        """Some figure is NaN/Inf: count bad entries and redo overflowed norms in float64."""
        layout = self.layout
        L = self._nlayers
        bad_g, bad_w = [0] * L, [0] * L
        grad_sq, weight_sq = [0.0] * L, [0.0] * L
        total_sq = 0.0
        for param, layer in zip(layout.tracked, layout.layer_of, strict=True):
            grad = param.grad
            ng, nw = stats.count_nonfinite(grad), stats.count_nonfinite(param.detach())
            bad_g[layer] += ng
            bad_w[layer] += nw
            if grad is not None:
                value = math.nan if ng else stats.exact_norm(grad)
                grad_sq[layer] += value * value
                total_sq += value * value
            weight_sq[layer] += (math.nan if nw else stats.exact_norm(param)) ** 2
        g_new = [math.sqrt(v) if math.isfinite(v) else v for v in grad_sq]
        # Weight norms here are after the step; only replace those that overflowed.
        w_new = [w if math.isfinite(w) else math.sqrt(s) for w, s in zip(w_l, weight_sq, strict=True)]
        u_new = u_l
        if any(math.isinf(u) for u in u_l):
            # Small tensors: the buffer still holds W_before - W_after, so redo their norms without
            # fp32 overflow. Large tensors' part of the buffer may hold the next snapshot by now:
            # keep their figures as measured.
            per_param = unorm.tolist()
            update_sq = [0.0] * L
            k = 0
            for g in self._groups:
                for j, (pos, diff) in enumerate(zip(g.positions, g.snapshot, strict=True)):
                    value = stats.exact_norm(diff) if j < g.n_small else per_param[k]
                    update_sq[layout.layer_of[pos]] += value * value
                    k += 1
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


# At most this many entries per tensor are compared before a cached snapshot is reused.
CHECK_MAX = 4096


def check_step(param: torch.Tensor) -> int:
    """Distance between the entries `_same_sample` compares for a parameter shaped like `param`.

    One entry per row (entries per index of the first dimension) with the column moving on
    by one each row, so a write to any whole row, or any whole column of a matrix with at
    least as many rows as columns, is seen; past CHECK_MAX rows, evenly spread rows.
    0 for a non-contiguous parameter, which is compared whole.
    """
    n = param.numel()
    if not param.is_contiguous():
        return 0
    row = n // param.shape[0] if param.dim() > 1 and param.shape[0] else 1
    return stats.coprime_from(max(row + 1, n // CHECK_MAX), row)


def _same_sample(param: torch.Tensor, snapshot: torch.Tensor, step: int) -> bool:
    """Whether `param` still equals the snapshot at the entries check_step picks (views: only
    those are read, ~100 us for two 2048-row matrices, where a full comparison would cost a
    cold read of both tensors, the very pass the reuse saves)."""
    if step == 0:
        return torch.equal(param, snapshot)
    return torch.equal(param.view(-1)[::step], snapshot.view(-1)[::step])


def _loss_tensor(value: Any, device: torch.device) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.dim() == 0:
            return value.detach().to(device, torch.float64)
        return value.detach().reshape(-1)[0].to(device, torch.float64)
    return torch.tensor(float(value), dtype=torch.float64, device=device)


def _with_loss(record: StepRecord, loss: float) -> StepRecord:
    from dataclasses import replace

    return replace(record, loss=loss)
