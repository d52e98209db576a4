"""Batched tensor reductions: many tensors in, one small tensor of figures out.

The hot path calls one `torch._foreach_*` op per figure for all parameters of
a (device, dtype) group; nothing here syncs with the device. The slow paths
(non-finite entries, fp32 overflow, sparse gradients) run only when a figure
already came back non-finite, so a healthy run never pays for them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch

LOW_PRECISION = frozenset({torch.float16, torch.bfloat16})


def norms(tensors: Sequence[torch.Tensor], order: int = 2) -> torch.Tensor:
    """Per-tensor vector norm as one float tensor (fp16/bf16 reduced in fp32)."""
    if not tensors:
        return torch.zeros(0)
    first = tensors[0]
    if any(t.is_sparse for t in tensors):
        return torch.stack([_norm_one(t, order) for t in tensors])
    if first.dtype in LOW_PRECISION:
        # bf16 accumulates in bf16 unless told otherwise: ~3 significant digits.
        return torch.stack(torch._foreach_norm(list(tensors), order, dtype=torch.float32))
    return torch.stack(torch._foreach_norm(list(tensors), order))


# Above this many entries a tensor's non-zero share is estimated on a fixed sample of
# BLOCKS runs of BLOCK consecutive entries spread over it, instead of counting every
# entry (a full extra read of the gradient: 1.7% of a 5M-parameter MLP's step). Runs,
# not single entries: each run costs one memory round trip (a lone entry per cache
# line cost ~0.15 ms for 20k of them), and a run of 64 fp32 entries fills 4 lines of
# one page. The runs fall on BLOCKS different rows of a matrix with up to BLOCKS rows,
# so a share of dead rows is estimated with a standard error under 3.2% absolute; the
# run offsets cycle through the columns. The share is reported, no rule judges by it.
LARGE = 1 << 16
SAMPLE_STRIDE = 211  # low-memory mode's snapshot sample (probe.py)
BLOCK = 64
BLOCKS = 256


def nonzeros(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """Count (or, for tensors of LARGE entries and more, an estimate) of non-zero entries per tensor."""
    if not tensors:
        return torch.zeros(0)
    if any(t.is_sparse for t in tensors):
        return torch.stack([_norm_one(t, 0) for t in tensors])
    small = [i for i, t in enumerate(tensors) if t.numel() < LARGE]
    # Counts go to float64 (exact to 2^53); low-precision tensors are counted in float32.
    kind = torch.float32 if tensors[0].dtype in LOW_PRECISION else None
    if len(small) == len(tensors):
        return torch.stack(torch._foreach_norm(list(tensors), 0, dtype=kind)).to(torch.float64)
    counts = [_sampled_nonzeros(t) if t.numel() >= LARGE else None for t in tensors]
    if small:
        counted = iter(torch._foreach_norm([tensors[i] for i in small], 0, dtype=kind))
        counts = [next(counted).to(torch.float64) if c is None else c for c in counts]
    return torch.stack([c for c in counts if c is not None])


def spread_runs(t: torch.Tensor, blocks: int = BLOCKS, block: int = BLOCK) -> torch.Tensor | None:
    """A view of `blocks` runs of `block` consecutive entries spread evenly over a contiguous t.

    Rows are the entries per index of the first dimension; the runs' starting columns
    move through each row (see _runs_layout) instead of landing on the same few
    columns of every row. None if t is not contiguous or too small.
    """
    n = t.numel()
    if not t.is_contiguous() or n < 2 * block:
        return None
    row = n // t.shape[0] if t.dim() > 1 and t.shape[0] else n
    count, gap, start = _runs_layout(n, row, blocks, block)
    return t.as_strided((count, block), (gap, 1), t.storage_offset() + start)


@functools.cache
def _runs_layout(n: int, row: int, blocks: int, block: int) -> tuple[int, int, int]:
    """(count, gap, first entry) of spread_runs for a tensor of n entries in rows of `row`
    (parameters keep their shapes, so this is worked out once per shape, not per step).

    With fewer than 8 runs to a row, the gap leaves a remainder of about 0.382 of a row
    (1 - 1/golden ratio), prime to the row length, so successive runs start at well-spread
    columns; a remainder of 0 or a small one would put every run in the same few columns.
    With more, the runs of each row already spread over its columns, and lengthening the
    gap would leave a matrix of a few long rows with a handful of runs.
    """
    gap = max(block, n // blocks)
    if row < n and gap * 8 > row:
        rest = coprime_from(round(row * 0.381966), row)
        gap += (rest - gap) % row
    count = min(blocks, (n - block) // gap + 1)
    return count, gap, (n - ((count - 1) * gap + block)) // 2


def coprime_from(value: int, modulus: int) -> int:
    """The smallest integer >= max(value, 1) that shares no factor with modulus."""
    value = max(1, value)
    while math.gcd(value, modulus) != 1:
        value += 1
    return value


def _sampled_nonzeros(t: torch.Tensor) -> torch.Tensor:
    (sample,), (factor,) = nonzero_samples([t])
    return torch.count_nonzero(sample).to(torch.float64) * factor


def nonzero_samples(tensors: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], tuple[float, ...]]:
    """What to count the non-zero entries of, per tensor (spread_runs, or all of it if not
    contiguous), and the factor (entries / sampled entries) that turns a count into an estimate.

    The sample follows each tensor's own layout: a gradient need not be laid out like its
    parameter.
    """
    samples = [t if (runs := spread_runs(t)) is None else runs for t in tensors]
    return samples, tuple(t.numel() / max(x.numel(), 1) for t, x in zip(tensors, samples, strict=True))


def norm_list(tensors: Sequence[torch.Tensor], order: int = 2) -> list[torch.Tensor]:
    """Per-tensor norm (order 0: non-zero count) of dense tensors, as 0-d tensors from one
    foreach call; fp16/bf16 reduced in fp32. Counts are exact in fp32 up to 2^24 entries."""
    kind = torch.float32 if tensors[0].dtype in LOW_PRECISION else None
    return list(torch._foreach_norm(list(tensors), order, dtype=kind))


def sum_of_squares(t: torch.Tensor) -> torch.Tensor:
    """||t||^2 of one large tensor as a 0-d tensor.

    A 1-D float32/float64 tensor goes through BLAS dot, about twice as fast on CPU as
    torch.linalg.vector_norm (40 against 74 us per 1M entries here) and no less exact;
    anything else through vector_norm (fp16/bf16 reduced in fp32).
    """
    if t.dim() == 1 and t.dtype in (torch.float32, torch.float64):
        return torch.dot(t, t)
    norm: torch.Tensor = torch.linalg.vector_norm(t, dtype=torch.float32 if t.dtype in LOW_PRECISION else None)
    return norm * norm


def class_norms(views: Sequence[torch.Tensor]) -> torch.Tensor:
    """L2 norm of each row of each [count, size] view, concatenated, in float64."""
    if not views:
        return torch.zeros(0, dtype=torch.float64)
    kind = torch.float32 if views[0].dtype in LOW_PRECISION else None
    rows = [torch.linalg.vector_norm(v, 2, dim=1, dtype=kind) for v in views]
    return torch.cat(rows).to(torch.float64)


def class_nonzeros(views: Sequence[torch.Tensor]) -> torch.Tensor:
    """Non-zero count of each row of each [count, size] view, concatenated, in float64."""
    if not views:
        return torch.zeros(0, dtype=torch.float64)
    # bool() then sum: the same count as count_nonzero (NaN counts, -0.0 does not), 3x faster on CPU.
    return torch.cat([v.bool().sum(dim=1) for v in views]).to(torch.float64)


def _norm_one(t: torch.Tensor, order: int) -> torch.Tensor:
    values = t.coalesce().values() if t.is_sparse else t
    norm: torch.Tensor = torch.linalg.vector_norm(values.float() if values.dtype in LOW_PRECISION else values, order)
    return norm


def exact_norm(t: torch.Tensor) -> float:
    """L2 norm in float64 after scaling by the largest entry: right where fp32 overflows."""
    values = (t.coalesce().values() if t.is_sparse else t).detach().double()
    finite = values[torch.isfinite(values)]
    if finite.numel() == 0:
        return 0.0
    peak = float(finite.abs().max())
    if peak == 0.0:
        return 0.0
    return peak * float(torch.linalg.vector_norm(finite / peak))


def count_nonfinite(t: torch.Tensor | None) -> int:
    if t is None:
        return 0
    values = t.coalesce().values() if t.is_sparse else t
    return int((~torch.isfinite(values)).sum())
