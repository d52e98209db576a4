"""Run configuration and the thresholds the rules judge by.

Every threshold lives here, named, with the reason for its value, so a rule
reads as its judgement and not as a list of magic numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class FailOn(StrEnum):
    WARNING = "warning"
    ERROR = "error"
    NEVER = "never"


class Memory(StrEnum):
    EXACT = "exact"
    LOW = "low"


DEFAULT_STEPS = 20
DEFAULT_SEED = 0


@dataclass(frozen=True)
class RunConfig:
    script: Path
    steps: int = DEFAULT_STEPS
    seed: int = DEFAULT_SEED
    device: str = "auto"
    verify: bool = True
    debug: bool = False


@dataclass(frozen=True)
class Thresholds:
    """What the rules compare against. Ratios are per optimizer step."""

    # Gradient flow through depth. rel_grad = ||g|| / ||W|| of a dense layer; a
    # layer is vanishing when its rel_grad sits this far below the strongest
    # dense layer after it (AUTOTRAINER uses 1e-3 for first/last layer).
    vanish_depth_ratio: float = 1e-3
    # ...and the optimizer did not make up for it: its update ratio is this far
    # below that of the dense layers that move most (90th percentile). Adam rescales small
    # gradients, SGD does not.
    vanish_update_gap: float = 1e-2
    # A gradient this small relative to its weights is noise for any optimizer.
    vanish_absolute_rel_grad: float = 1e-7
    # Exploding: a plain SGD step of lr * ||g|| would exceed the weights this many times over,
    # or the gradient grows this much from the output layer back to the input layer.
    explode_rel_grad: float = 1e2
    explode_depth_ratio: float = 1e2
    explode_total_grad_norm: float = 1e4
    # Dead: a share of units whose bias gradient is exactly zero on every step.
    dead_unit_frac: float = 0.5
    # Unstable: weights rewritten by a large fraction each step, or the loss rising.
    unstable_update_ratio: float = 0.1
    unstable_loss_rise: float = 0.2  # end loss above start by this fraction
    # Thrashing: the median dense layer rewritten by 5% of its size per step (50x a typical
    # healthy 1e-3) while the loss ends no lower than it began.
    thrash_update_ratio: float = 0.05
    # Stalled: even the dense layers that move most (90th percentile) move less than this
    # per step, and the loss does not fall.
    stalled_update_ratio: float = 1e-5
    # Relative drop under which the loss "does not fall": 5%, because batch-to-batch noise alone
    # moves a 20-step loss curve by a few percent.
    stalled_loss_drop: float = 0.05
    # Loss-curve summaries use the mean of this many steps at each end.
    loss_window: int = 3
