"""The candidate numbers a remedy tries, derived from the measurements. Pure arithmetic.

- clip_grad_norm: the measured total-gradient-norm history (its median and 10th
  percentile), the norm at which one SGD step moves the weights 1e-2 of their norm, the
  common default 1.0, and after a burst a few times the norm before it.
- learning_rate: a range test of factors around the current rate, plus the factors at
  which the median dense layer would move 1e-3 (typical) or 1e-2 (brisk) of its norm a step,
  each kept only when the rate it gives lies in the range that optimizer is used at (USABLE).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradscope.data.rates import RateKind
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


@dataclass(frozen=True)
class Usable:
    """The learning rates one family of optimizers is trained at. A rate outside is never offered:
    SGD at 3e-24 "cures" an exploding net only by not moving it, and a number like that costs
    the user's trust in every other number; where the measurements call for one, the cause of
    the problem lies elsewhere (the init, the inputs' scale)."""

    family: str  # as a note names it
    low: float
    high: float

    def holds(self, lr: float) -> bool:
        return math.isfinite(lr) and self.low <= lr <= self.high


# SGD and its kin (the step is lr x gradient): Bengio, "Practical recommendations for
# gradient-based training of deep architectures" (2012, arXiv:1206.5533, section 3.1.1) puts the
# rate for standardised inputs "less than 1 and greater than 1e-6"; the top is raised to 10 for
# large batches (Goyal et al. 2017, "Accurate, Large Minibatch SGD": 0.1 per 256 examples, 3.2
# at 8k), L-BFGS's and schedule-free SGD's rates of about 1.
SGD_LIKE = Usable("SGD-like", 1e-6, 10.0)
# Adam and its kin (the step is about lr per weight whatever the gradient): 1e-3 is the default
# (Kingma & Ba 2015), fine-tunes go down to 1e-5..1e-6 (BERT 2e-5..5e-5, Devlin et al. 2019),
# preference tuning to 5e-7 (DPO, Rafailov et al. 2023); above 0.1 a step moves a typical weight
# by more than its size (Adafactor's relative step stops at 1e-2, Adagrad's default is 1e-2).
ADAM_LIKE = Usable("Adam-like", 1e-7, 0.1)
# Adafactor's relative step with scale_parameter (a step relative to each weight's RMS): the
# Adafactor paper caps it at 1e-2 (Shazeer & Stern 2018, rho_t = min(1e-2, 1/sqrt(t))), so an
# explicit rate in its place stays at or under that cap.
RELATIVE_LIKE = Usable("Adafactor relative-step", 1e-7, 1e-2)
# Learning-rate-free optimizers, whose lr multiplies a step size they estimate (Prodigy,
# D-Adaptation; Adadelta's lr scales its own step the same way): lr=1 is the recommended
# setting, and Prodigy's README (github.com/konstmish/prodigy) forces a smaller or larger
# estimate with a factor of 0.1..10 (d_coef 0.1, 0.5, 2, 10).
MULTIPLIER_LIKE = Usable("learning-rate-free", 0.1, 10.0)
# An optimizer gradscope does not know: the union of the ranges above.
ANY_OPTIMIZER = Usable("all", 1e-7, 10.0)
# Names (lower-cased substrings) that tell the family; the optimizer's own kind of rate first.
ADAM_MARKS = ("adam", "adagrad", "rmsprop", "adafactor", "lion", "lamb", "adan", "sophia", "muon", "shampoo", "soap")
SGD_MARKS = ("sgd", "lbfgs", "rprop", "lars")
MULTIPLIER_NAMES = ("adadelta",)


def usable_range(optimizer: str, kind: RateKind = RateKind.NUMBER) -> Usable:
    """The rates `optimizer` (its class name; the first of "A + B") is used at, its kind of rate first."""
    name = optimizer.split(" + ", maxsplit=1)[0].lower()
    if kind is RateKind.MULTIPLIER or name in MULTIPLIER_NAMES:
        return MULTIPLIER_LIKE
    if kind.relative and not kind.unscaled:
        return RELATIVE_LIKE
    if any(mark in name for mark in ADAM_MARKS):
        return ADAM_LIKE
    if any(mark in name for mark in SGD_MARKS):
        return SGD_LIKE
    return ANY_OPTIMIZER


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
