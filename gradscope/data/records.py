"""Frozen records that flow between gradscope's stages.

Everything here is plain Python (floats, ints, strings, tuples) so a record can
be saved, reloaded and rendered without importing torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import ClassVar

from gradscope.data.notes import Note, Voice
from gradscope.data.rates import RateKind

SCHEMA_VERSION = 1

Number = float | int
Evidence = Mapping[str, "Number | str | bool | list[Number] | list[str] | None"]


class LayerStatus(StrEnum):
    """Layer statuses, most serious first: the order of every table, legend and merged row."""

    NONFINITE = "nonfinite"
    EXPLODING = "exploding"
    VANISHING = "vanishing"
    DEAD = "dead"
    UNUSED = "unused"
    NOT_OPTIMIZED = "not_optimized"
    FROZEN = "frozen"  # a set-up choice, reported so that a forgotten freeze is seen
    HEALTHY = "healthy"


class Verdict(StrEnum):
    """Run verdicts, most serious first (the order is the precedence)."""

    NONFINITE = "nonfinite"
    EXPLODING = "exploding"
    VANISHING = "vanishing"
    DEAD = "dead"
    UNSTABLE = "unstable"
    # Updates lost to the weights' rounding (bf16/fp16 weights), or a GradScaler that skips
    # most steps: the learning rate is not the cure, so it comes before stalled.
    PRECISION = "precision"
    STALLED = "stalled"
    HEALTHY = "healthy"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Role(StrEnum):
    """What kind of parameters a layer holds; thresholds differ by role."""

    DENSE = "dense"  # Linear, Conv, attention projections, RNN weights
    NORM = "norm"  # BatchNorm, LayerNorm, GroupNorm scale/shift
    EMBEDDING = "embedding"  # lookup tables: only the rows seen get a gradient
    OTHER = "other"  # biases alone, scalars, custom parameters


@dataclass(frozen=True)
class LayerInfo:
    """One module that owns parameters directly, in model order."""

    name: str
    kind: str
    params: int
    role: Role
    param_names: tuple[str, ...]
    trainable: bool  # some parameter requires grad
    optimized: bool  # every trainable parameter is held by the optimizer
    shared_with: tuple[str, ...] = ()  # other modules owning the same tensors
    activation: str | None = None  # activation module that follows it, if any
    activation_name: str | None = None


@dataclass(frozen=True)
class StepRecord:
    """Figures of one optimizer step, columns aligned with RunRecord.layers."""

    step: int
    loss: float | None
    total_grad_norm: float
    lr: tuple[float, ...]
    grad_norm: tuple[float, ...]
    weight_norm: tuple[float, ...]
    update_norm: tuple[float, ...]
    nonfinite_grad: tuple[int, ...]
    nonfinite_weight: tuple[int, ...]
    zero_grad_frac: tuple[float, ...]
    has_grad: tuple[bool, ...]
    dead_unit_frac: tuple[float, ...] = ()
    # Per layer, for parameters held in bfloat16/float16 (NaN for the others; empty when the
    # model has none): the share of the entries with a non-zero gradient whose value did not
    # change (the update was lost to rounding), and the mean size of the changes that landed
    # in units of the dtype's spacing at each entry's magnitude.
    lost_frac: tuple[float, ...] = ()
    update_spacings: tuple[float, ...] = ()
    # The mean entropy of the categorical distributions (a policy's) the script built since the
    # last step, as a share of its maximum ln K (1: uniform, 0: one action certain); None where
    # it built none or the door does not observe them (probe/policies.py).
    policy_entropy: float | None = None

    @cached_property
    def update_ratio(self) -> tuple[float, ...]:
        return tuple(ratio(u, w) for u, w in zip(self.update_norm, self.weight_norm, strict=True))

    def layer(self, index: int) -> dict[str, float | int | bool]:
        return {
            "grad_norm": self.grad_norm[index],
            "weight_norm": self.weight_norm[index],
            "update_norm": self.update_norm[index],
            "update_ratio": ratio(self.update_norm[index], self.weight_norm[index]),
            "nonfinite_grad": self.nonfinite_grad[index],
            "nonfinite_weight": self.nonfinite_weight[index],
            "zero_grad_frac": self.zero_grad_frac[index],
            "has_grad": self.has_grad[index],
        }


def ratio(num: float, den: float) -> float:
    """num / den, with 0/0 = 0 and x/0 = inf, so a zero weight cannot crash a rule."""
    if not math.isfinite(num) or not math.isfinite(den):
        return math.nan if math.isnan(num) or math.isnan(den) else math.inf
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


@dataclass(frozen=True)
class RunInfo:
    script: str | None
    steps: int
    seed: int | None
    device: str
    dtype: str
    optimizer: str
    lr: tuple[float, ...]
    torch: str
    gradscope: str
    wall_s: float
    default_optimizer: bool = False
    total_params: int = 0
    trainable_params: int = 0
    skipped_steps: int = 0
    # Where the recorded loss came from: "compute_loss" | "loss" | "default" under diagnose
    # (loader.Problem), "watch" | "closure" | "none" under watch; "script" when the record does
    # not say (one built by hand, or a report written before the field existed).
    loss_source: str = "script"
    every: int = 1
    memory: str = "exact"
    # Classes of a cross-entropy loss when gradscope computed it (the default loss, or a
    # Hugging Face output's logits): a loss above ln(classes) is worse than a uniform guess.
    classes: int | None = None
    # A run stopped early (Ctrl-C, SIGTERM): what was measured is judged; `cut` says which
    # phase was cut short and how far it had got.
    partial: bool = False
    cut: str | None = None
    budget_s: float | None = None  # the time budget the run was planned in; None = none
    # What `lr` holds for the first param group (data/rates.py): the group's lr, Adafactor's
    # relative step (lr=None), a multiplier of a learning-rate-free optimizer's estimated step,
    # or NaN for an lr that is not a number.
    lr_kind: RateKind = RateKind.NUMBER
    # The precision the steps ran in, by Lightning's names ("bf16-true", "16-mixed", ...);
    # None: not said (the weights' dtype is `dtype`).
    precision: str | None = None
    # Under a GradScaler: its scale at the start, at each optimizer step taken and at the end,
    # and how many iterations it saw (steps taken and skipped); empty/0 without one.
    loss_scales: tuple[float, ...] = ()
    scaler_iterations: int = 0


@dataclass(frozen=True)
class RunRecord:
    run: RunInfo
    layers: tuple[LayerInfo, ...]
    steps: tuple[StepRecord, ...]

    def losses(self) -> list[float]:
        return [s.loss for s in self.steps if s.loss is not None]

    def column(self, metric: str, index: int) -> list[float]:
        """One layer's figure over all steps; metric is a StepRecord column or update_ratio."""
        if metric == "update_ratio":
            return [s.update_ratio[index] for s in self.steps]
        return [float(getattr(s, metric)[index]) for s in self.steps]


@dataclass(frozen=True)
class Finding:
    code: str
    rule: str
    severity: Severity
    layers: tuple[str, ...]
    evidence: Evidence
    message: str
    fix: str = ""
    verdict: Verdict | None = None  # the run verdict this finding argues for
    status: LayerStatus | None = None  # the layer status it sets on `layers`
    # Why the finding was set aside (explained by another finding, or not confirmed by a
    # replay); a withdrawn finding stays in the report as data but sets no verdict or status.
    withdrawn: str | None = None


@dataclass(frozen=True)
class Verified:
    loss_before: float
    loss_after: float
    improved: bool
    curve_before: tuple[float, ...] = ()
    curve_after: tuple[float, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    action: str  # clip_grad_norm | learning_rate | batchnorm | activation | residual | init
    numbers: Mapping[str, object]
    why: str  # which finding it answers
    how: str  # how the numbers were derived
    code: str = ""  # a line the user can paste
    verified: Verified | None = None

    # The numbers the contract names for an action, typed; None when the action has none.
    @property
    def max_norm(self) -> float | None:
        return _number(self.numbers.get("max_norm"))

    @property
    def clipped_fraction(self) -> float | None:
        return _number(self.numbers.get("clipped_fraction"))

    @property
    def lr(self) -> float | None:
        return _number(self.numbers.get("lr"))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Report:
    record: RunRecord
    verdict: Verdict
    statuses: tuple[LayerStatus, ...]
    findings: tuple[Finding, ...]
    recommendations: tuple[Recommendation, ...] = ()
    notes: tuple[Note, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)
    voice: Voice = field(default_factory=Voice)  # the door whose words the notes are said in
    # How `print(report)` reads. This module is the bottom layer and imports no renderer:
    # gradscope/__init__.py, which runs before any Report can exist, hands over the
    # terminal renderer's plain text, so `print(w.report())` reads like `gradscope diagnose`.
    to_text: ClassVar[Callable[[Report], str] | None] = None

    def __str__(self) -> str:
        return repr(self) if Report.to_text is None else Report.to_text(self)

    def said(self) -> tuple[str, ...]:
        """The notes as the report words them."""
        return tuple(note.text(self.voice) for note in self.notes)
