"""The precision a diagnose run's steps take, by Lightning's names, as the user's training does.

"32-true": as the script gives the model. "bf16-true" / "16-true": the weights converted to that
dtype, the optimizer updating them in place. "bf16-mixed" / "16-mixed": the forward and the loss
under torch.autocast in that dtype, float32 weights (master weights: a model held in a low dtype
is converted for the run and back after it), and for "16-mixed" a torch.amp.GradScaler.
A replay of the remedy for lost updates is the measured run in "bf16-mixed".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from gradscope.config import PRECISIONS
from gradscope.errors import UsageError

_DTYPES = {"bf16": torch.bfloat16, "16": torch.float16}
LOW = (torch.bfloat16, torch.float16)


@dataclass(frozen=True)
class Mode:
    name: str
    weights: torch.dtype | None  # *-true: the weights in this dtype
    autocast: torch.dtype | None  # *-mixed: the forward in this dtype, float32 weights
    scaler: bool  # 16-mixed: a GradScaler

    @classmethod
    def of(cls, name: str | None) -> Mode:
        name = name or "32-true"
        if name not in PRECISIONS:
            raise UsageError(f"unknown precision {name!r}; use one of {', '.join(PRECISIONS)}")
        head, _, kind = name.partition("-")
        dtype = _DTYPES.get(head)
        return cls(name, dtype if kind == "true" else None, dtype if kind == "mixed" else None, name == "16-mixed")

    def forward(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        """Where the forward and the loss run: under autocast for a mixed precision."""
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.autocast)

    def scaler_for(self, device: torch.device) -> Any:
        """A fresh GradScaler for a run in 16-mixed, else None."""
        return torch.amp.GradScaler(device.type) if self.scaler else None


AS_GIVEN = Mode.of(None)  # "32-true": the model as the script gives it


def convert(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """The model's floating parameters and buffers in `dtype` (a *-true run)."""
    model.to(dtype)


@contextlib.contextmanager
def master_weights(model: torch.nn.Module, mode: Mode) -> Iterator[None]:
    """For a mixed run of a model held in a low dtype: float32 parameters and buffers for the
    run (the same tensors, so the optimizer holds them), their own dtype back after it."""
    changed: list[tuple[torch.Tensor, torch.dtype]] = []
    if mode.autocast is not None:
        for t in [*model.parameters(), *model.buffers()]:
            if t.is_floating_point() and t.dtype in LOW:
                changed.append((t, t.dtype))
                t.data = t.data.float()
    try:
        yield
    finally:
        for t, dtype in changed:
            t.data = t.data.to(dtype)
