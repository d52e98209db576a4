"""The candidate numbers a remedy tries, derived from the measurements. Pure arithmetic.

- clip_grad_norm: the measured total-gradient-norm history (its median and 10th
  percentile), the norm at which one SGD step moves the weights 1e-2 of their norm, the
  common default 1.0, and after a burst a few times the norm before it.
- learning_rate: a range test of factors around the current rate, plus the factors at
  which the median dense layer would move 1e-3 (typical) or 1e-2 (brisk) of its norm a step.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from gradscope.data.records import Finding, RunRecord

# Healthy steps move a layer about 1e-3 of its norm (Karpathy's update:data ratio); 1e-2 is
# the brisk end of that range.
TARGET_UPDATE_RATIO = 1e-3
BRISK_UPDATE_RATIO = 1e-2
# Clip thresholds tried besides the measured ones: the common default, a low percentile of the
# measured total norm (clips the usual step a little, a burst a lot), and the norm at which one
# SGD step moves the weights this share of their size.
DEFAULT_MAX_NORM = 1.0
CLIP_PERCENTILE = 0.1
SGD_STEP_SHARE = 1e-2
PERCENTILE_TH = f"{CLIP_PERCENTILE * 100:g}th"  # as the how-text names it: "10th"
# After a burst, thresholds this many times the norm before it: what a healthy step needs passes.
BURST_CLIP_FACTORS = (2.0, 10.0)
# Learning-rate factors a range test tries, before the ones derived from the update ratios.
LR_CUTS = (0.3, 0.1, 0.01)
LR_RAISES = (10.0, 100.0, 1000.0, 10000.0)
# The range test's fixed multipliers; the one derived from the measured update ratio joins them.
GRID_SCALES = {"down": LR_CUTS, "up": LR_RAISES}
# The most distinct replays one diagnosis can ask for (the Replayer runs each change once):
# clip thresholds (the default, the median, the percentile, the SGD-step norm, the burst
# factors), both directions of the LR range test with their two ratio-derived factors each,
# and the three architecture checks (ReLU, kaiming init, LeakyReLU). The time plan promises
# no more than these take.
MOST_REPLAYS = (4 + len(BURST_CLIP_FACTORS)) + (len(LR_CUTS) + 2) + (len(LR_RAISES) + 2) + 3

# Whether a replay's loss curve stays below a finding's spike (see calm_after).
Calm = Callable[[Sequence[float]], bool]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def round_sig(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def fmt(x: float) -> str:
    return f"{x:.3g}"


def clip_candidates(record: RunRecord, facts_weight_norm: float, lr: float, adaptive: bool) -> list[float]:
    norms = [s.total_grad_norm for s in record.steps if math.isfinite(s.total_grad_norm)]
    found: set[float] = {DEFAULT_MAX_NORM}
    if norms:
        found.add(round_sig(statistics.median(norms)))
        found.add(round_sig(percentile(norms, CLIP_PERCENTILE)))
    if not adaptive and lr > 0 and facts_weight_norm > 0:
        found.add(round_sig(SGD_STEP_SHARE * facts_weight_norm / lr))
    return sorted(v for v in found if v > 0 and math.isfinite(v))


def clipped_fraction(record: RunRecord, max_norm: float) -> float:
    norms = [s.total_grad_norm for s in record.steps]
    if not norms:
        return 0.0
    return sum(1 for v in norms if not v <= max_norm) / len(norms)


def lr_scales(direction: str, measured_ratio: float) -> list[float]:
    """Multipliers of the current LR to try, the ratio-derived one included."""
    scales = set(GRID_SCALES[direction])
    if measured_ratio > 0 and math.isfinite(measured_ratio):
        for target in (TARGET_UPDATE_RATIO, BRISK_UPDATE_RATIO):
            derived = target / measured_ratio
            if (direction == "down" and derived < 1) or (direction == "up" and derived > 1):
                scales.add(round_sig(derived, 1))
    return sorted(scales)


def calm_after(finding: Finding) -> Calm | None:
    """For a spike finding: whether a replay's curve stays below the spike threshold (and below a
    uniform guess when that was crossed). A lower LR that removes the spike and ends no higher
    confirms the finding even when the measured run recovered to the same final loss."""
    threshold = finding.evidence.get("spike_threshold")
    uniform = finding.evidence.get("uniform_guess_loss")
    if not isinstance(threshold, int | float):
        return None

    def calm(curve: Sequence[float]) -> bool:
        if not curve or not all(math.isfinite(v) for v in curve) or not curve[0] > 0:
            return False
        peak = max(curve[1:], default=curve[0])
        return peak < threshold * curve[0] and (not isinstance(uniform, int | float) or peak <= uniform)

    return calm
