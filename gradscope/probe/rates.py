"""Reading an optimizer's learning rates as it will use them on the coming step.

`group["lr"]` is the rate for most optimizers, but not for all (see gradscope.data.rates):
transformers' Adafactor with `relative_step=True` holds `lr=None` and steps by a relative
step it computes from the step count; an `lr` that is not a number is read as NaN. Neither
may crash a diagnosis: `float(None)` did, on the T5 recipe.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from gradscope.data.rates import RateKind, as_number, kind_of, relative_step


def _next_step(optimizer: torch.optim.Optimizer, group: dict[str, Any]) -> int:
    """The step count the coming step will have (Adafactor counts per parameter, from 1)."""
    for param in group.get("params", ()):
        state = optimizer.state.get(param)
        if state and "step" in state:
            step = state["step"]
            # A tensor step (torch's own optimizers) is on the host; Adafactor's is an int.
            return int(step.item() if isinstance(step, torch.Tensor) else step) + 1
    return 1


def read(optimizer: torch.optim.Optimizer) -> list[float | torch.Tensor]:
    """Each param group's rate: a float, NaN when it is not a number, or the tensor the group holds
    (capturable and fused optimizers keep it on the device; the caller decides when to read it)."""
    out: list[float | torch.Tensor] = []
    for group in optimizer.param_groups:
        if kind_of(group).relative:
            out.append(relative_step(group, _next_step(optimizer, group)))
            continue
        lr = group.get("lr")
        if isinstance(lr, torch.Tensor):
            out.append(lr)
            continue
        number = as_number(lr)
        out.append(math.nan if number is None else number)
    return out


def kind(optimizer: torch.optim.Optimizer) -> RateKind:
    """The kind of the first param group's rate: the one a report's numbers speak of."""
    return kind_of(optimizer.param_groups[0]) if optimizer.param_groups else RateKind.NUMBER
