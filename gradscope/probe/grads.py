"""A recorded step's gradient figures: per tracked tensor its norm (squares for large
tensors) and its non-zero count, from batched reductions, into the step's parts.

Up to FEW small gradients of a group are reduced by one foreach call; more are copied
into the group's (free) snapshot buffer and reduced by size class. Missing or sparse
gradients, and a closure optimizer's (the buffer holds the weights by then), go tensor
by tensor. Nothing here reads a figure back to the host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from gradscope.probe import distributed
from gradscope.probe import reduce as stats
from gradscope.probe.plan import Part, Parts
from gradscope.probe.snapshot import Group, flat

# (group, which gradients are present) -> their positions, as a device tensor
PresentIndex = Callable[[int, tuple[bool, ...]], torch.Tensor]


def measure(
    groups: Sequence[Group],
    parts: Parts,
    device: torch.device,
    sharded: bool,
    present_index: PresentIndex,
    use_buffer: bool,
) -> tuple[tuple[bool, ...], tuple[tuple[float, ...], ...]]:
    """Add every group's gradient figures to `parts`; returns which gradients were present
    and, per group, the large tensors' non-zero sample factors (empty off the fast path)."""
    present: list[bool] = []
    factors: list[tuple[float, ...]] = []
    for k, g in enumerate(groups):
        grads = [p.grad for p in g.tracked]
        if sharded:
            grads = [None if x is None else distributed.local(x) for x in grads]
        dense = [x for x in grads if x is not None]
        complete = len(dense) == len(grads)
        present.extend([True] * len(grads) if complete else [x is not None for x in grads])
        fast = complete and (use_buffer or g.few) and not (g.maybe_sparse and any(x.is_sparse for x in dense))
        sampled = _batched(k, g, dense, parts) if fast else None
        if sampled is None:
            _one_by_one(k, grads, dense, parts, device, present_index)
            sampled = ()
        factors.append(sampled)
    return tuple(present), tuple(factors)


def _batched(k: int, g: Group, dense: list[torch.Tensor], parts: Parts) -> tuple[float, ...] | None:
    """The fast path for a group whose gradients are all there and dense; None where it
    does not apply (then nothing was added)."""
    n = g.n_small
    rest = dense[n:]
    samples, sampled = stats.nonzero_samples(rest)
    # Counts by foreach norm(0) are fp32, exact to 2^24: a non-contiguous gradient
    # counted whole past that goes the general way (count_nonzero, int64).
    if not all(x.numel() <= 1 << 24 for x in samples):
        return None
    if g.few:
        if n:
            parts.add(Part(k, "g", "small", 2), stats.norm_list(dense[:n]))
        if n or rest:
            # Counts of the small gradients and of the large ones' samples: one call.
            parts.add(Part(k, "c", "all", 1, sampled=True), stats.norm_list(dense[:n] + samples, 0))
    else:
        g.copy_small(dense)
        parts.add(Part(k, "g", "small", 2), stats.class_norms(g.views))
        parts.add(Part(k, "c", "small", 1), stats.class_nonzeros(g.views))
        if rest:
            parts.add(Part(k, "c", "large", 1, sampled=True), stats.norm_list(samples, 0))
    if rest:
        parts.add(Part(k, "g", "large", 1), [stats.sum_of_squares(flat(t)) for t in rest])
    return sampled


def _one_by_one(
    k: int,
    grads: list[torch.Tensor | None],
    dense: list[torch.Tensor],
    parts: Parts,
    device: torch.device,
    present_index: PresentIndex,
) -> None:
    """Missing or sparse gradients, or a closure's: tensor by tensor, zeros where a gradient is missing."""
    if len(dense) == len(grads):
        norms = stats.norms(dense).to(device, torch.float64)
        counts = stats.nonzeros(dense).to(device, torch.float64)
    else:
        norms = torch.zeros(len(grads), dtype=torch.float64, device=device)
        counts = torch.zeros(len(grads), dtype=torch.float64, device=device)
        if dense:
            idx = present_index(k, tuple(x is not None for x in grads))
            norms[idx] = stats.norms(dense).to(device, torch.float64)
            counts[idx] = stats.nonzeros(dense).to(device, torch.float64)
    parts.add(Part(k, "g", "all", 2), norms)
    parts.add(Part(k, "c", "all", 1), counts)
