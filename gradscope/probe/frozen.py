"""The weight norms of frozen layers: not measured per step, but still worth showing.

Taken once, when the probe is made. Under FSDP each rank takes the squares of its
shards, made whole in one collective.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gradscope.probe import distributed
from gradscope.probe import reduce as stats
from gradscope.probe.distributed import Ranks
from gradscope.probe.layout import Layout


def weight_norms(
    model: nn.Module, layout: Layout, sharded: bool, ranks: Ranks | None, device: torch.device
) -> dict[int, float]:
    """Per frozen layer (by index) the norm of its weights."""
    frozen = {i for i, layer in enumerate(layout.layers) if not layer.trainable}
    if not frozen:
        return {}
    modules = dict(model.named_modules())
    out = {}
    with torch.no_grad():
        for i in frozen:
            layer = layout.layers[i]
            module = modules.get("" if layer.name == "(root)" else layer.name)
            if module is None:
                continue
            if sharded:
                out[i] = local_square(list(module.parameters(recurse=False)), ranks)
                continue
            params = [p.detach() for p in module.parameters(recurse=False)]
            out[i] = math.sqrt(sum(float(stats.norms([p]).to(torch.float64)[0]) ** 2 for p in params))
    if sharded and ranks is not None and out:
        # This rank's squares of its shards, made whole in one collective at the start.
        whole = ranks.sum(torch.tensor(list(out.values()), dtype=torch.float64, device=device))
        out = dict(zip(out, whole.sqrt().tolist(), strict=True))
    return out


def local_square(params: list[torch.Tensor], ranks: Ranks | None) -> float:
    """Sum of squares of what this rank counts of `params` (see distributed.py)."""
    total = 0.0
    for p in params:
        if distributed.is_sharded(p) or ranks is None or ranks.shard_rank == 0:
            total += float(stats.norms([distributed.local(p)]).to(torch.float64)[0]) ** 2
    return total
