"""A recorded step's weight and update figures, per group: the snapshot of the weights
before the step with their squares, and after it ||W_before - W_after|| in the same buffer.

On CPU large tensors are worked in cache-sized pieces, so each piece's difference and
squares are taken while it is in cache; elsewhere whole, by foreach ops. Nothing here
reads a figure back to the host.
"""

from __future__ import annotations

import torch

from gradscope.probe import reduce as stats
from gradscope.probe.plan import Part, Parts
from gradscope.probe.snapshot import Group

# The next step's large-weight squares (per piece), taken at the last post-step, and the
# parameters' version counters then.
Kept = tuple[torch.Tensor, list[int]]


def take_snapshot(k: int, g: Group, parts: Parts, cached: Kept | None) -> None:
    """Snapshot group k's weights and add their squares (`cached`: see _large_snapshot)."""
    n = g.n_small
    if n:
        g.copy_small(g.sampled)
        if g.few:
            parts.add(Part(k, "w", "small", 2), stats.norm_list(g.params[:n]))
        else:
            parts.add(Part(k, "w", "small", 2), stats.class_norms(g.views))
    if len(g.params) > n:
        _large_snapshot(k, g, parts, cached)


def _large_snapshot(k: int, g: Group, parts: Parts, cached: Kept | None) -> None:
    """Snapshot the large weights and add their squares.

    When the last post-step already copied these weights into the buffer and took
    their squares (while they were in cache) and nothing has written to them since,
    both are reused: no cold pass over the weights here. "Nothing has written" is
    checked twice: the version counters catch in-place ops on the parameters, and a
    comparison with the snapshot at one entry of every row (check_step) catches writes
    through `p.data`, which bypass the counters: WGAN-style `p.data.clamp_`, rows
    re-initialised or renormalised. A write through `p.data` to a few scattered
    entries can go unseen. (Only on CPU, where the comparison costs no device sync: a
    cache is kept for pieces only.)
    """
    n = g.n_small
    if cached is not None:
        kept, versions = cached
        if versions == [p._version for p in g.tracked[n:]] and all(torch.equal(a, b) for a, b in g.checks):
            parts.add(Part(k, "w", "chunks", 1), kept)
            return
    if g.chunked and g.exact:
        # Piece by piece, so each piece's square is taken while it is in cache.
        squares = []
        for snap, weight in g.chunks:
            snap.copy_(weight)
            squares.append(stats.sum_of_squares(weight))
        parts.add(Part(k, "w", "chunks", 1), squares)
        return
    torch._foreach_copy_(g.snapshot[n:], g.sampled[n:])
    parts.add(Part(k, "w", "large", 2), stats.norm_list(g.params[n:]))


def update_norms(k: int, g: Group, parts: Parts, next_due: bool) -> list[int] | None:
    """Add group k's update figures; when the next step is recorded (`next_due`) and the
    large weights are worked in exact pieces, also their squares and snapshot for it, and
    return the large parameters' version counters (to check them against at that step)."""
    n = g.n_small
    if n:
        g.sub_small()  # the snapshot now holds W_before - W_after
        if g.few:
            parts.add(Part(k, "u", "small", 2), stats.norm_list(g.snapshot[:n]))
        else:
            parts.add(Part(k, "u", "small", 2), stats.class_norms(g.views))
    if len(g.snapshot) == n:
        return None
    if not g.chunked:
        torch._foreach_sub_(g.snapshot[n:], g.sampled[n:])
        parts.add(Part(k, "u", "large", 2, sampled=not g.exact), stats.norm_list(g.snapshot[n:]))
        return None
    # The next step is recorded: keep its weight squares and snapshot, taken here while
    # in cache. Exact mode only: a sampled piece is not the whole weight.
    keep = g.exact and next_due
    _large_updates(k, g, parts, keep)
    return [p._version for p in g.tracked[n:]] if keep else None


def _large_updates(k: int, g: Group, parts: Parts, keep: bool) -> None:
    """||W_before - W_after||^2 of the large tensors, piece by piece (and ||W_after||^2, the
    next step's weight square, with the next snapshot, when `keep`).

    Each piece's difference and squares are taken while it is still in cache, instead
    of three passes over tensors larger than the cache. A few dozen calls per step, not
    one per parameter. Pieces are summed per tensor in float64 (in Measure.finish): a sum
    of finite fp32 squares can pass fp32's range (norms past ~1.8e19).
    """
    squares, weights = [], []
    for diff, weight in g.chunks:
        diff.sub_(weight)
        squares.append(stats.sum_of_squares(diff))
        if keep:
            weights.append(stats.sum_of_squares(weight))
            diff.copy_(weight)  # the next step's snapshot, taken while the piece is in cache
    parts.add(Part(k, "u", "chunks", 1, sampled=not g.exact), squares)
    if keep:
        parts.add(Part(k, "next", "chunks", 1), weights)
