"""Updates lost to rounding: for parameters held in bfloat16 or float16, which entries the
optimizer gave a non-zero gradient but whose value did not change, and how large the changes
that did land were against the dtype's spacing.

A bfloat16 weight of size 0.02 sits on a grid 1.2e-4 apart: an Adam step of 1e-5 rounds back
to the same value, every step, and the weight never moves. Only low-precision groups pay for
this count (float32 and float64 parameters are never looked at), and it runs before the update
figures overwrite the snapshot: the snapshot still holds W_before, the parameter W_after, the
gradient is the one the step used. Per tensor a handful of elementwise ops; the per-layer sums
stay on the device and join the step's one transfer (Measure._record).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from gradscope.probe.layout import Layout
from gradscope.probe.snapshot import Group

# Bits of precision (the stored mantissa and the implicit one) and the exponent of the
# smallest spacing (subnormals) of the dtypes whose updates can be lost to rounding.
LOW_PRECISION: dict[torch.dtype, tuple[int, int]] = {torch.bfloat16: (8, -133), torch.float16: (11, -24)}
SPACING_SAMPLE = 1 << 14  # entries of a tensor whose change is measured in spacings (a strided sample)
FIGURES = 4  # per tensor: non-zero gradients, lost among them, changed entries, their size in spacings


def low(groups: Sequence[Group]) -> list[int]:
    """The groups whose dtype can lose updates to rounding."""
    return [k for k, g in enumerate(groups) if g.dtype in LOW_PRECISION]


def _sample(grad: torch.Tensor, param: torch.Tensor, sampled: torch.Tensor) -> torch.Tensor:
    """The gradient entries matching `sampled` (low memory mode's strided sample of `param`)."""
    if sampled is param or sampled.shape == param.shape:
        return grad
    offset = sampled.storage_offset() - param.storage_offset()
    return grad.reshape(-1)[offset :: sampled.stride(0)][: sampled.numel()]


def tensor_figures(
    before: torch.Tensor, after: torch.Tensor, grad: torch.Tensor | None, bits: int, tiny: int
) -> torch.Tensor:
    """[non-zero gradient entries, lost among them, changed entries, sum of |change| / spacing]."""
    same = before == after
    if grad is None:
        nonzero = torch.zeros((), dtype=torch.float64, device=before.device)
        lost = nonzero
    else:
        moved = grad != 0
        nonzero = moved.sum(dtype=torch.float64)
        lost = moved.logical_and_(same).sum(dtype=torch.float64)
    changed = same.logical_not_().sum(dtype=torch.float64)  # `same` now marks the entries that changed
    # The size in spacings is a mean: on a large tensor a strided sample of it is enough, and
    # its float32 passes are what the count costs most (the counts above stay exact).
    stride = max(1, before.numel() // SPACING_SAMPLE)
    if stride > 1:
        changed_mask = same.reshape(-1)[::stride]
        before, after = before.reshape(-1)[::stride], after.reshape(-1)[::stride]
        changed_sampled = changed_mask.sum(dtype=torch.float64)
    else:
        changed_sampled = changed
    wide_before, wide_after = before.float(), after.float()
    change = wide_after.sub(wide_before).abs_()
    # The spacing at the larger of the two magnitudes: x = m * 2^e with m in [0.5, 1) has
    # spacing 2^(e - bits); an entry that left zero is judged at where it landed.
    exponent = torch.frexp(torch.maximum(wide_before.abs_(), wide_after.abs_())).exponent
    shift = (exponent - bits).clamp_(min=tiny)
    spacings = torch.ldexp(change, shift.neg_()).sum(dtype=torch.float64)
    # Scaled to the whole tensor's changed entries, so the per-layer mean divides like with like.
    if stride > 1:
        spacings = spacings * changed / changed_sampled.clamp(min=1.0)
    return torch.stack([nonzero, lost, changed, spacings])


def measure(groups: Sequence[Group], which: list[int], layout: Layout, sharded: bool) -> list[tuple[int, torch.Tensor]]:
    """(layer, figures) for every tracked tensor of the low-precision groups in `which`."""
    out: list[tuple[int, torch.Tensor]] = []
    if sharded:  # FSDP shards: left out (a note says so), not guessed from one rank's piece
        return out
    for k in which:
        g = groups[k]
        bits, tiny = LOW_PRECISION[g.dtype]
        for j, (pos, param, sampled, snap) in enumerate(zip(g.positions, g.params, g.sampled, g.snapshot, strict=True)):
            grad = g.tracked[j].grad
            if grad is not None and (grad.is_sparse or grad.shape != param.shape):
                grad = None
            if grad is not None:
                grad = _sample(grad.detach(), param, sampled)
            out.append((layout.layer_of[pos], tensor_figures(snap, sampled, grad, bits, tiny)))
    return out


def per_layer(
    figures: list[tuple[int, torch.Tensor]], nlayers: int, index: torch.Tensor, device: torch.device
) -> torch.Tensor:
    """The tensors' figures summed per layer: [FIGURES x layers], flat, on the device."""
    stacked = torch.stack([f.to(device) for _, f in figures])  # a model split over devices
    return torch.zeros(nlayers, FIGURES, dtype=torch.float64, device=device).index_add_(0, index, stacked).reshape(-1)


def shares(flat: list[float], nlayers: int, measured: set[int]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per layer (lost share, mean change in spacings) from the transferred sums; NaN where not measured."""
    lost, spacings = [], []
    for i in range(nlayers):
        nonzero, gone, changed, size = flat[FIGURES * i : FIGURES * i + FIGURES]
        ok = i in measured
        lost.append(gone / nonzero if ok and nonzero else float("nan"))
        spacings.append(size / changed if ok and changed else float("nan"))
    return tuple(lost), tuple(spacings)
