"""Batched tensor reductions: many tensors in, one small tensor of figures out.

The hot path calls one `torch._foreach_*` op per figure for all parameters of
a (device, dtype) group; nothing here syncs with the device. The slow paths
(non-finite entries, fp32 overflow, sparse gradients) run only when a figure
already came back non-finite, so a healthy run never pays for them.
"""

from __future__ import annotations

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


def _norm_one(t: torch.Tensor, order: int) -> torch.Tensor:
    values = t.coalesce().values() if t.is_sparse else t
    return torch.linalg.vector_norm(values.float() if values.dtype in LOW_PRECISION else values, order)


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


def combine_l2(per_param: Sequence[float], index: Sequence[int], size: int) -> list[float]:
    """Per-layer L2 norms from per-parameter norms (host floats; slow path only)."""
    sums = [0.0] * size
    for value, layer in zip(per_param, index, strict=True):
        sums[layer] = math.inf if not math.isfinite(sums[layer] + value * value) else sums[layer] + value * value
    return [math.sqrt(s) for s in sums]
