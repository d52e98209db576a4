"""What an optimizer's learning rate is, when it is not simply the number in `group["lr"]`.

Most optimizers step by `group["lr"]` and that is the number a report speaks of. Three
families set their step otherwise, and a report must neither crash on them nor advise a
knob they do not have:

- transformers' Adafactor with `relative_step=True` (the T5 recipe, `lr=None`): the step is
  a relative one, min(1e-2, 1/sqrt(t)) (min(1e-6 t, 1/sqrt(t)) with `warmup_init=True`),
  times each weight's RMS when `scale_parameter`. That relative step is recorded as the rate:
  it is exactly the `lr` an Adafactor with `relative_step=False` (and the same
  `scale_parameter`) would need to take the same step, so the advice can offer one.
- learning-rate-free optimizers (Prodigy, D-Adaptation): the step is `lr x d`, `d` a step
  size the optimizer estimates as it goes; their `lr` (1 by default) is a multiplier of it
  and is recorded as such.
- anything else whose `lr` is not a number (None, missing): recorded as NaN, and the advice
  says it cannot offer a rate.

Pure Python on the param-group dicts, so the probe reads with it and the report words with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

# transformers' Adafactor: the relative step is min(RELATIVE_CAP, 1/sqrt(t)) without warmup_init,
# min(WARMUP_SLOPE * t, 1/sqrt(t)) with it (transformers.optimization.Adafactor._get_lr).
RELATIVE_CAP = 1e-2
WARMUP_SLOPE = 1e-6


class RateKind(StrEnum):
    """How the learning rate a report records relates to the optimizer's own settings."""

    NUMBER = "number"  # group["lr"]
    # Adafactor's relative step (lr=None, relative_step=True), relative to each weight's RMS
    # (scale_parameter=True, its default) or not, with warmup_init (1e-6 x step) or without.
    RELATIVE = "relative"
    RELATIVE_WARMUP = "relative_warmup"
    RELATIVE_UNSCALED = "relative_unscaled"
    RELATIVE_WARMUP_UNSCALED = "relative_warmup_unscaled"
    MULTIPLIER = "multiplier"  # Prodigy, D-Adaptation: lr multiplies their estimated step d
    NONE = "none"  # no number: recorded as NaN

    @property
    def relative(self) -> bool:
        return self.value.startswith("relative")

    @property
    def warmup(self) -> bool:
        return "warmup" in self.value

    @property
    def unscaled(self) -> bool:
        return "unscaled" in self.value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_number(value: Any) -> float | None:
    """A learning rate as a float; None when it is not a number (None, a string, an object).
    A tensor is left to the caller, which knows whether reading it would wait for a device."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def kind_of(group: Mapping[str, Any]) -> RateKind:
    """The kind of one param group's learning rate (a tensor lr counts as a number)."""
    if group.get("relative_step") is True:
        warmup = "_warmup" if group.get("warmup_init") else ""
        unscaled = "" if group.get("scale_parameter", True) else "_unscaled"
        return RateKind(f"relative{warmup}{unscaled}")
    lr = group.get("lr")
    if type(lr).__name__ != "Tensor" and as_number(lr) is None:
        return RateKind.NONE
    # Prodigy and every D-Adaptation optimizer keep their estimate `d` and a step count `k` in the
    # group (torch's own Adafactor has a `d` too, a clipping threshold, but no `k`).
    if _is_number(group.get("d")) and _is_number(group.get("k")):
        return RateKind.MULTIPLIER
    return RateKind.NUMBER


def relative_step(group: Mapping[str, Any], step: int) -> float:
    """Adafactor's relative step at `step` (counted from 1) for a group with relative_step=True."""
    t = max(step, 1)
    top = WARMUP_SLOPE * t if group.get("warmup_init") else RELATIVE_CAP
    return min(top, 1.0 / math.sqrt(t))


def headline(kind: RateKind, shown: str) -> str:
    """The rate as a report's header names it, `shown` the recorded value(s) formatted."""
    if kind.relative:
        settings = ", ".join(
            ["lr=None", *(["warmup_init"] if kind.warmup else []), *(["unscaled"] if kind.unscaled else [])]
        )
        return f"relative step {shown} ({settings})"
    return {
        RateKind.NUMBER: f"lr {shown}",
        RateKind.MULTIPLIER: f"lr {shown} (a multiplier of its estimated step size d)",
    }.get(kind, "lr not a number")
