"""The weights before the step: per (device, dtype) group, one flat buffer of copies.

The update ||W_after - W_before|| needs them. `memory="exact"` keeps one flat copy of
the trainable parameters (1.0x their bytes); `memory="low"` keeps a fixed strided
sample of each large tensor (about 1/STRIDE of its entries) and copies small tensors
whole. The same buffer doubles as scratch for reducing many small gradients by size
class before the snapshot is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gradscope.probe import distributed
from gradscope.probe import reduce as stats
from gradscope.probe.distributed import Ranks
from gradscope.probe.layout import EMBEDDING_TYPES, Layout

# Sampling in low-memory mode: a prime stride so the sample does not alias
# with row lengths, applied only to tensors large enough for a stable estimate.
STRIDE = stats.SAMPLE_STRIDE
SAMPLE_MIN = stats.LARGE

# Large tensors are worked through in pieces of this many entries (1 MB in fp32), so a
# piece's difference and norms are taken while it is in cache. A piece and its snapshot
# (2 MB) split over the threads fit a core's L2 with room: on a 2-core Xeon with 2 MB L2
# per core the wide MLP's post-step took 3.3 ms with 1 MB pieces and 3.6 ms with 2 MB ones;
# smaller pieces pay more per-call cost.
CHUNK = 1 << 18


def flat(t: torch.Tensor) -> torch.Tensor:
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
class Group:
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
    weight: float = 1.0  # 0.0: a replicated tensor another rank of the shard group counts (distributed.py)

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


def _sampled(params: list[torch.Tensor], memory: str) -> list[torch.Tensor]:
    """What is snapshotted of each parameter: all of it, or in low memory a fixed strided sample."""
    sampled: list[torch.Tensor] = []
    for p in params:
        if memory == "low" and p.numel() >= SAMPLE_MIN and p.is_contiguous():
            offset = int(torch.randint(0, STRIDE, (1,), generator=torch.Generator().manual_seed(p.numel())))
            sampled.append(p.view(-1)[offset::STRIDE])
        else:
            sampled.append(p)
    return sampled


def _chunks(
    snapshot: list[torch.Tensor], sampled: list[torch.Tensor], n_small: int
) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], list[int]]:
    """The large tensors' (snapshot, sample) pieces of at most CHUNK entries, and whose each is."""
    chunks: list[tuple[torch.Tensor, torch.Tensor]] = []
    owners: list[int] = []
    for j, (snap, sample) in enumerate(zip(snapshot, sampled, strict=True)):
        if j < n_small:
            continue
        line = flat(sample)
        if line.dim() != 1:  # a non-contiguous parameter: one piece, in its own shape
            chunks.append((snap, sample))
            owners.append(j)
            continue
        for piece in zip(torch.split(snap.reshape(-1), CHUNK), torch.split(line, CHUNK), strict=True):
            chunks.append(piece)
            owners.append(j)
    return chunks, owners


def make_groups(layout: Layout, model: nn.Module, memory: str, ranks: Ranks | None) -> tuple[list[Group], bool]:
    """The tracked parameters grouped by (device, dtype), and whether the model is sharded (FSDP)."""
    sharded = any(map(distributed.is_distributed, layout.tracked))
    # What is read of each parameter: under FSDP this rank's shard of it.
    local = [distributed.local(p) if sharded else p.detach() for p in layout.tracked]
    # A tensor whole on every rank of a shard group is counted by one of them (distributed.py).
    replica = [ranks is not None and sharded and not distributed.is_sharded(p) for p in layout.tracked]
    by_key: dict[tuple[torch.device, torch.dtype, bool], list[int]] = {}
    for i, (p, twin) in enumerate(zip(local, replica, strict=True)):
        by_key.setdefault((p.device, p.dtype, twin), []).append(i)
    # in_pieces is looked up at call time, where tests replace it to take the GPU path on CPU.
    groups = [
        make_group(pos, layout.tracked, local, memory, in_pieces(local[pos[0]].device)) for pos in by_key.values()
    ]
    for (_, _, twin), g in zip(by_key, groups, strict=True):
        if twin and ranks is not None and ranks.shard_rank != 0:
            g.weight = 0.0
    sparse_ids = {
        id(p)
        for m in model.modules()
        if isinstance(m, EMBEDDING_TYPES) and getattr(m, "sparse", False)
        for p in m.parameters(recurse=False)
    }
    for g in groups:
        g.maybe_sparse = any(id(p) in sparse_ids for p in g.tracked)
    return groups, sharded


def make_group(
    positions: list[int],
    tracked: list[torch.nn.Parameter],
    local: list[torch.Tensor],
    memory: str,
    chunked: bool,
) -> Group:
    """The group of tracked[i] for i in positions; `local` holds what is read of each
    parameter (the parameter detached, or under FSDP this rank's shard of it)."""
    small = sorted(
        (p for p in positions if local[p].numel() < SMALL),
        key=lambda p: (local[p].numel(), tuple(local[p].shape)),
    )
    large = [p for p in positions if local[p].numel() >= SMALL]
    positions = small + large
    params = [local[i] for i in positions]
    sampled = _sampled(params, memory)
    first = params[0]
    buffer = torch.empty(sum(t.numel() for t in sampled), dtype=first.dtype, device=first.device)
    snapshot, classes, views = _layout_buffer(buffer, params, sampled, len(small))
    stacked = [v.view(k, *params[first].shape) for v, (first, k, _) in zip(views, classes, strict=True)]
    chunks, owners = _chunks(snapshot, sampled, len(small)) if chunked else ([], [])
    large_pairs = list(zip(params[len(small) :], sampled[len(small) :], strict=True))
    return Group(
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
        scale_sq=[p.numel() / max(t.numel(), 1) for p, t in large_pairs],
        checks=_checks(params[len(small) :], snapshot[len(small) :]),
    )


def _layout_buffer(
    buffer: torch.Tensor, params: list[torch.Tensor], sampled: list[torch.Tensor], n_small: int
) -> tuple[list[torch.Tensor], list[tuple[int, int, int]], list[torch.Tensor]]:
    """Per tensor its view into the buffer; the small tensors' classes of equal shape and
    each class's [count, size] view."""
    snapshot: list[torch.Tensor] = []
    start = 0
    classes: list[tuple[int, int, int]] = []
    offsets: list[int] = []
    for i, t in enumerate(sampled):
        size = t.numel()
        snapshot.append(buffer[start : start + size].view(t.shape))
        if i < n_small:
            if classes and params[i - 1].shape == t.shape and i > 0:
                a, k, n = classes[-1]
                classes[-1] = (a, k + 1, n)
            else:
                classes.append((i, 1, size))
                offsets.append(start)
        start += size
    views = [buffer[o : o + k * n].view(k, n) for o, (_, k, n) in zip(offsets, classes, strict=True)]
    return snapshot, classes, views


def _checks(large: list[torch.Tensor], snapshot: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per large tensor what _large_snapshot compares: the entries check_step picks, or all."""
    checks = []
    for p, snap in zip(large, snapshot, strict=True):
        step = check_step(p)
        checks.append((p, snap) if step == 0 else (p.view(-1)[::step], snap.view(-1)[::step]))
    return checks


# At most this many entries per tensor are compared before a cached snapshot is reused.
CHECK_MAX = 4096


def check_step(param: torch.Tensor) -> int:
    """Distance between the entries `same_sample` compares for a parameter shaped like `param`.

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


def same_sample(param: torch.Tensor, snapshot: torch.Tensor, step: int) -> bool:
    """Whether `param` still equals the snapshot at the entries check_step picks (views: only
    those are read, ~100 us for two 2048-row matrices, where a full comparison would cost a
    cold read of both tensors, the very pass the reuse saves)."""
    if step == 0:
        return torch.equal(param, snapshot)
    return torch.equal(param.view(-1)[::step], snapshot.view(-1)[::step])
