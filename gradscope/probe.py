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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


# Large tensors are worked through in pieces of this many entries (1 MB in fp32), so a
# piece's difference and norms are taken while it is in cache. A piece and its snapshot
# (2 MB) split over the threads fit a core's L2 with room: on a 2-core Xeon with 2 MB L2
# per core the wide MLP's post-step took 3.3 ms with 1 MB pieces and 3.6 ms with 2 MB ones;
# smaller pieces pay more per-call cost.
CHUNK = 1 << 18


def _flat(t: torch.Tensor) -> torch.Tensor:
    """A 1-D view sharing t's storage (a strided sample is already 1-D)."""
    return t.view(-1) if t.is_contiguous() else t


# Tensors below this size are reduced by size class from the flat buffer: one op per
# class instead of one per tensor, which on CPU costs ~1 us each (1.2 ms for 1200).
SMALL = 1 << 16
# Entries of the scratch tensor sub_small stacks weights into (64 KB in fp32).
SCRATCH = 1 << 14
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
    buffer: torch.Tensor
    exact: bool
    n_small: int  # the first n_small tensors are small
    classes: list[tuple[int, int, int]]  # (first tensor, count, size) of equal-shape small tensors
    views: list[torch.Tensor]  # per class: the buffer as [count, size]
    stacked: list[torch.Tensor]  # per class: the buffer as [count, *shape], for torch.stack(out=)
    tracked: list[torch.nn.Parameter]  # the parameters themselves, in buffer order
    maybe_sparse: bool  # an Embedding with sparse=True could give sparse gradients
    chunked: bool  # large tensors are worked in cache-sized pieces (CPU); else whole, by foreach ops
    chunks: list[tuple[torch.Tensor, torch.Tensor]]  # (snapshot, sampled) pieces of the large tensors
    chunk_owner: list[int]  # per chunk, the index in `params` of its tensor
    scale_sq: list[float]  # per large tensor: entries / snapshotted entries (low mode's update scale)
    checks: list[tuple[torch.Tensor, torch.Tensor]]  # per large tensor: what _large_snapshot compares

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

    def sub_small(self) -> None:
        """snapshot -= sampled for the small tensors (the snapshot then holds W_before - W_after).

        Many small tensors on CPU: class by class, a block of weights is stacked into a
        scratch tensor and subtracted from the buffer in one op. A foreach sub dispatches per
        tensor (0.5 ms for 1200); the scratch holds at most SCRATCH entries (or one tensor)
        and is freed on return.
        """
        n = self.n_small
        if self.few or not self.chunked:
            torch._foreach_sub_(self.snapshot[:n], self.sampled[:n])
            return
        scratch = torch.empty(max(SCRATCH, self.classes[-1][2]), dtype=self.dtype, device=self.device)
        for (first, count, size), view in zip(self.classes, self.views, strict=True):
            shape = self.sampled[first].shape
            step = max(1, SCRATCH // max(size, 1))  # a zero-entry parameter is a class of size 0
            for a in range(0, count, step):
                k = min(step, count - a)
                block = scratch[: k * size].view(k, *shape)
                torch.stack(self.sampled[first + a : first + a + k], out=block)
                view[a : a + k].sub_(block.view(k, size))


def in_pieces(device: torch.device) -> bool:
    """Whether large tensors are worked in cache-sized pieces: on CPU, where a piece's passes
    then hit the cache; not on a GPU, where each piece would cost kernel launches for nothing."""
    return device.type == "cpu"


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
    chunked = in_pieces(first.device)
    chunks: list[tuple[torch.Tensor, torch.Tensor]] = []
    owners: list[int] = []
    for j, (snap, sample) in enumerate(zip(snapshot, sampled, strict=True)):
        if j < len(small) or not chunked:
            continue
        flat = _flat(sample)
        if flat.dim() != 1:  # a non-contiguous parameter: one piece, in its own shape
            chunks.append((snap, sample))
            owners.append(j)
            continue
        for piece in zip(torch.split(snap.reshape(-1), CHUNK), torch.split(flat, CHUNK), strict=True):
            chunks.append(piece)
            owners.append(j)
    large_pairs = list(zip(params[len(small) :], sampled[len(small) :], strict=True))
    scale_sq = [p.numel() / max(t.numel(), 1) for p, t in large_pairs]
    checks = []
    for p, snap in zip(params[len(small) :], snapshot[len(small) :], strict=True):
        step = check_step(p)
        checks.append((p, snap) if step == 0 else (p.view(-1)[::step], snap.view(-1)[::step]))
    return _Group(
        device=first.device,
        dtype=first.dtype,
        positions=positions,
        params=params,
        sampled=sampled,
        snapshot=snapshot,
        buffer=buffer,
        exact=all(t is p for t, p in zip(sampled, params, strict=True)),
        n_small=len(small),
        classes=classes,
        views=views,
        stacked=stacked,
        tracked=[tracked[i] for i in positions],
        maybe_sparse=False,
        chunked=chunked,
        chunks=chunks,
        chunk_owner=owners,
        scale_sq=scale_sq,
        checks=checks,
    )


class Part(NamedTuple):
    """What a run of a step's per-entry figures holds (see Probe._finish)."""

    group: int
    figure: str  # "g" gradient, "w" weight before the step, "u" update, "c" non-zero count, "next" (kept)
    span: str  # which of the group's tensors: "small", "large", "all", or "chunks" (one per piece)
    exp: int  # 2: the entries are norms; 1: squares or counts
    sampled: bool = False  # large tensors' entries are scaled: counts by their sample factor, updates by scale_sq


@dataclass(frozen=True)
class _Plan:
    # Compact (int32, int8; multipliers only if some are not 1): a plan has ~4 entries per
    # tensor, which beside a model of many tiny tensors is not nothing.
    dest: torch.Tensor  # per entry: slot in [grad, weight, update, count] x layers (+1 spare)
    exp: torch.Tensor
    mult: torch.Tensor | None
    bias: torch.Tensor  # per layer: position of its bias's non-zero count
    updates: tuple[tuple[int, int, int], ...]  # (position, group, index in group) of large tensors' updates

    def large_updates(self, values: list[float]) -> dict[tuple[int, int], float]:
        """||update||^2 of each large tensor, summed over its pieces (for the slow path)."""
        out: dict[tuple[int, int], float] = {}
        for position, group, j in self.updates:
            out[(group, j)] = out.get((group, j), 0.0) + values[position]
        return out


@dataclass
class Probe:
    """Per-step, per-layer gradient and update figures for one model and optimizer."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    every: int = 1
    memory: str = "exact"
    log: StepLog | None = None
    scaler: Any = None  # torch.amp.GradScaler, to count the steps it skipped
    # None: whether losses come before or after their step() is learned at the first recorded
    # step (a user's loop may do either). True: always after, and a closure's return value is
    # not taken as the loss: the framework callbacks read the loss from the training step's
    # output once the step has run, and Lightning's closure returns it divided by the
    # accumulation count.
    loss_after_step: bool | None = None
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
        # Per group: next step's large-weight squares (per piece) and the parameters' version counters.
        self._after_norms: dict[int, tuple[torch.Tensor, list[int]]] = {}
        self._keep: dict[int, list[int]] = {}  # this step's groups whose squares go to _after_norms
        self._loss_after_step: bool | None = self.loss_after_step
        self._step_loss: torch.Tensor | None = None
        self._listed: list[tuple[Part, list[torch.Tensor]]] = []  # this step's figures, see _finish
        self._tensors: list[tuple[Part, torch.Tensor]] = []
        self._factors: tuple[tuple[float, ...], ...] = ()
        self._measured = False
        self._plans: dict[Any, _Plan] = {}
        self._present: tuple[bool, ...] = ()
        self._recording = False
        self._last_scale: tuple[float, int] | None = None  # scale and growth tracker, see _count_skipped
        self._index_cache: dict[tuple[int, tuple[bool, ...]], torch.Tensor] = {}
        # A fused optimizer under GradScaler (see _pre_step): this step's (grad_scale, found_inf),
        # and the steps it skipped so far, summed on the device.
        self._amp: tuple[Any, torch.Tensor] | None = None
        self._fused_skips: torch.Tensor | None = None
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
                params = [p.detach() for p in module.parameters(recurse=False)]
                out[i] = math.sqrt(sum(float(stats.norms([p]).to(torch.float64)[0]) ** 2 for p in params))
        return out

    def replaced(self) -> list[str]:
        """Layers with a parameter that no longer holds the storage the probe reads.

        `p.data = other` inside a watch leaves the probe reading the old tensor (its
        figures are then the old tensor's); checked once, when the report is built.
        """
        names: dict[str, None] = {}
        for g in self._groups:
            for pos, param, held in zip(g.positions, g.tracked, g.params, strict=True):
                now = param.detach()
                if now.data_ptr() != held.data_ptr() or now.shape != held.shape or now.dtype != held.dtype:
                    names[self.layout.layers[self.layout.layer_of[pos]].name] = None
        return list(names)

    # -- attaching -------------------------------------------------------------
    def attach(self) -> None:
        # The scale on entry, so skips before the first executed step count too (GradScaler's
        # first steps calibrate its scale by skipping). Unused yet, get_scale() does not sync.
        entry = self._scale_now(tracker=False)
        self._last_scale = None if entry is None else (entry[0], -1)
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
        if self._loss_after_step:
            # The user hands the loss over after optimizer.step(): it is the last step's. Only the
            # first one: a later one is of an iteration whose step GradScaler skipped.
            last = len(self.records) - 1
            taken = bool(self._late_losses) and self._late_losses[-1][0] == last
            if self._last_recorded and self.records and self.records[-1].loss is None and not taken:
                self._late_losses.append((last, value))
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
        attr = getattr(optimizer, "found_inf", None)
        found = attr if isinstance(attr, torch.Tensor) else None
        if found is not None:
            # A fused optimizer under GradScaler: step() runs on every iteration with the
            # gradients still scaled, and the kernel itself unscales them and skips the update
            # when found_inf is set. Skips are summed on the device (no sync); a recorded
            # step takes grad_scale and found_inf into its one transfer (_finish).
            flag = (found > 0).to(torch.float64)
            self._fused_skips = flag if self._fused_skips is None else self._fused_skips + flag
        else:
            skipped = self._count_skipped()
            if skipped and not self._loss_after_step:
                self._drop_skipped_losses(skipped)
        if not self._groups:  # a model with no trainable parameter: nothing to measure
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

    def _scale_now(self, tracker: bool = True) -> tuple[float, int] | None:
        """GradScaler's scale and its count of good steps towards the next growth (-1: unknown)."""
        if self.scaler is None or not getattr(self.scaler, "is_enabled", lambda: False)():
            return None
        read = getattr(self.scaler, "_get_growth_tracker", None) if tracker else None
        return float(self.scaler.get_scale()), int(read()) if read is not None else -1

    def _count_skipped(self) -> int:
        """GradScaler skips optimizer.step on inf/NaN gradients and lowers its scale; count the
        skips since the last call from the drop in scale. (Unfused optimizers: GradScaler has
        just synced to decide whether to step, so reading the scale costs no wait.)"""
        now = self._scale_now()
        if now is None:
            return 0
        skipped = 0
        if self._last_scale is not None:
            expected, tracker = self._last_scale
            # The last executed step's own update() grew the scale if that step completed a run of
            # good steps; a skip after it halves it back, and the drop alone would miss the skip.
            if tracker >= 0 and tracker + 1 >= self.scaler.get_growth_interval():
                expected *= float(self.scaler.get_growth_factor())
            if now[0] < expected:
                backoff = float(self.scaler.get_backoff_factor())
                skipped = max(1, round(math.log(expected / now[0]) / math.log(1.0 / backoff)))
                self.skipped += skipped
        self._last_scale = now
        return skipped

    def _drop_skipped_losses(self, skipped: int) -> None:
        """Losses handed over for iterations whose step GradScaler skipped are not this step's.

        No hook runs on a skipped iteration, so which pending losses were its is inferred:
        when they split evenly into the skipped iterations and this one (the same number of
        micro-batches each), only this iteration's share is kept.
        """
        pending = len(self._pending_loss)
        if pending and pending % (skipped + 1) == 0:
            del self._pending_loss[: pending - pending // (skipped + 1)]
        elif pending % skipped == 0:
            # Only the skipped iterations' share: this iteration hands its loss over after the
            # step (a skip on the first iteration would otherwise fix the wrong mode).
            self._pending_loss.clear()

    def finish(self) -> None:
        """Count skips after the last executed step; attach losses handed over late."""
        if self._fused_skips is not None:
            # The scale's drop would count the same skips again.
            self.skipped += round(float(self._fused_skips))
            self._fused_skips = None
        else:
            self._count_skipped()
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
                    self._add(Part(k, "g", "large", 1), [stats.sum_of_squares(_flat(t)) for t in rest])
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

    def _large_snapshot(self, k: int, g: _Group) -> None:
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

    def _large_updates(self, k: int, g: _Group, keep: bool) -> None:
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
        per_layer[: 3 * L].sqrt_()
        # Zero share of each layer's gradient, then dead share: a unit is dead when its bias
        # gradient is exactly zero for the whole batch; without a bias the weight's zero share
        # mixes dead units with inputs that were zero, so no figure. abs_ turns the -0.0 of
        # (0 - count) * 0 into 0.0.
        counts = torch.cat([per_layer[3 * L : 4 * L], values.index_select(0, plan.bias)])
        shares = torch.sub(self._share_numel, counts).mul_(self._share_inv).abs_()
        loss = self._take_loss()
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

    def _gather(self) -> tuple[torch.Tensor, _Plan]:
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
            plan = self._plans[key] = self._make_plan(key[0] + key[1])
        return joined.to(torch.float64, copy=True), plan

    def _make_plan(self, parts: tuple[Part, ...]) -> _Plan:
        """Per entry of the joined vector: its slot among [grad, weight, update, count] x layer
        (a spare last slot for the next step's squares), its exponent and its multiplier."""
        L = self._nlayers
        slot_of = {"g": 0, "w": 1, "u": 2, "c": 3}
        dest: list[int] = []
        exp: list[int] = []
        mult: list[float] = []
        count_at: dict[int, int] = {}  # tracked index -> position of its non-zero count
        updates: list[tuple[int, int, int]] = []  # (position, group, index in group) of large updates
        for part in parts:
            g = self._groups[part.group]
            n = g.n_small
            members = {
                "small": range(n),
                "large": range(n, len(g.params)),
                "all": range(len(g.params)),
                "chunks": g.chunk_owner,
            }[part.span]
            for j in members:
                tracked = g.positions[j]
                position = len(dest)
                if part.figure == "next":
                    dest.append(4 * L)
                else:
                    dest.append(slot_of[part.figure] * L + self.layout.layer_of[tracked])
                exp.append(part.exp)
                factor = 1.0
                if part.sampled and j >= n:
                    large = j - n
                    factor = self._factors[part.group][large] if part.figure == "c" else g.scale_sq[large]
                mult.append(factor)
                if part.figure == "c":
                    count_at[tracked] = position
                if part.figure == "u" and j >= n:
                    updates.append((position, part.group, j))
        first_count = min(count_at.values(), default=0)
        bias = [count_at.get(b, first_count) if b >= 0 else first_count for b in self.layout.bias_of]

        def tensor(values: list[float] | list[int], dtype: torch.dtype) -> torch.Tensor:
            return torch.tensor(values, dtype=dtype, device=self.device)

        return _Plan(
            dest=tensor(dest, torch.int32),
            exp=tensor(exp, torch.int8),
            mult=tensor(mult, torch.float64) if any(m != 1.0 for m in mult) else None,
            bias=tensor(bias, torch.int32),
            updates=tuple(updates),
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
        bad_g, bad_w = [0] * L, [0] * L
        grad_sq, weight_sq = [0.0] * L, [0.0] * L
        total_sq = 0.0
        for pos, (param, layer) in enumerate(zip(layout.tracked, layout.layer_of, strict=True)):
            grad = param.grad
            ng, nw = stats.count_nonfinite(grad), stats.count_nonfinite(param.detach())
            bad_g[layer] += ng
            bad_w[layer] += nw
            if grad is not None:
                value = math.nan if ng else stats.exact_norm(grad)
                grad_sq[layer] += value * value
                total_sq += value * value
            diff = diffs.get(pos)
            weights = param.detach() if diff is None else param.detach().double() + diff.double()
            weight_sq[layer] += (math.nan if nw else stats.exact_norm(weights)) ** 2
        g_new = [math.sqrt(v) if math.isfinite(v) else v for v in grad_sq]
        # Only replace weight norms that overflowed (where no diff is kept, by the norm after the step).
        w_new = [w if math.isfinite(w) else math.sqrt(s) for w, s in zip(w_l, weight_sq, strict=True)]
        u_new = u_l
        if any(math.isinf(u) for u in u_l):
            update_sq = [0.0] * L
            for k, g in enumerate(self._groups):
                for j, pos in enumerate(g.positions):
                    diff = diffs.get(pos)
                    square = stats.exact_norm(diff) ** 2 if diff is not None else large.get((k, j), 0.0)
                    update_sq[layout.layer_of[pos]] += square
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
    return torch.full((), float(value), dtype=torch.float64, device=device)


def _with_loss(record: StepRecord, loss: float) -> StepRecord:
    from dataclasses import replace

    return replace(record, loss=loss)
