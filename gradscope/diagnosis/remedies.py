"""What a rule says to try when it fires: its remedy, declared beside the rule.

A rule's `remedy` lists the changes to try (`tries`), each a small frozen value naming a
kind of change and the rule's own reason for it; gradscope.advice derives the numbers from
the measurements, replays each change from the same start where the door can replay, and
words the recommendation. The advice never asks which rule fired: a rule with a new remedy
is one file under rules/, and a new kind of change is one value here and its maker in
gradscope.advice.

Two phases, as a practitioner would try them: first the numbers (a clip threshold, a
learning rate), rule by rule in registry order, those of a `supplementary` remedy last;
then the changes to the model (an activation, an init, a normalisation, skip connections),
finding by finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from gradscope.diagnosis.facts import Facts


@dataclass(frozen=True)
class Clip:
    """A `clip_grad_norm_` max_norm from the measured total gradient norm, replayed.

    after_burst: also try thresholds a few times the norm the run had before its burst (the
                 finding's `first_norm` evidence), the likely cure, replayed first.
    """

    after_burst: bool = False


@dataclass(frozen=True)
class LearningRate:
    """A learning rate from a range test around the current one and the measured update ratios.

    calm: a lower rate also counts as a cure when the replay loses the finding's spike (its
          `spike_threshold` and `uniform_guess_loss` evidence) and ends no higher.
    gain: a rate counts as a cure only when its replay ends at least this share lower than the
          run as measured; None: the usual bar (gradscope.advice.replay.IMPROVEMENT). A finding
          that rests on the replay (a rate too low under Adam) asks for a clearly better rate,
          not a nudge.
    """

    direction: Literal["down", "up"]
    calm: bool = False
    gain: float | None = None


@dataclass(frozen=True)
class ToReLU:
    """The saturating activations of the model swapped to ReLU, the layers before them re-initialised."""


@dataclass(frozen=True)
class AddBatchNorm:
    """Normalisation after the flagged layers (not replayed: it changes the model's code)."""


@dataclass(frozen=True)
class AddResidual:
    """Skip connections, for a stack at least this deep (not replayed)."""

    min_depth: int = 6


@dataclass(frozen=True)
class KaimingInit:
    """The flagged dense layers re-initialised with kaiming_normal_ (a zero bias too when asked).

    cause: why the init is at fault, as the recommendation explains it.
    """

    cause: str
    zero_bias: bool = False


@dataclass(frozen=True)
class ToLeakyReLU:
    """The ReLUs after the flagged layers swapped to LeakyReLU."""


@dataclass(frozen=True)
class MasterWeights:
    """float32 master weights: the parameters in float32 and the forward under torch.autocast in
    the run's low dtype (bf16-true -> bf16-mixed, 16-true -> 16-mixed), replayed; the ways that
    keep low-precision weights (stochastic rounding, Kahan-compensated optimizers) are named, unverified."""


@dataclass(frozen=True)
class ToBFloat16:
    """bfloat16 autocast instead of float16 under a GradScaler: bfloat16 has float32's range, so
    nothing overflows and no scaler is needed, replayed (a lower learning rate and clipping after
    unscale_ are named, unverified)."""


Number = Clip | LearningRate
ModelChange = ToReLU | AddBatchNorm | AddResidual | KaimingInit | ToLeakyReLU | MasterWeights | ToBFloat16
Try = Number | ModelChange


@dataclass(frozen=True)
class Remedy:
    """The changes a rule's finding calls for, and what the replays' verdict on them means.

    tries:         in the order to try them (numbers before model changes, see the module doc).
    when:          only when this holds of the run (NaN is worth a number only after a runaway loss).
    supplementary: only recommendations a replay showed to help are kept, tried after the rest.
    unconfirmed:   when replays ran and no number helped, the finding is withdrawn with this reason
                   (a learning-rate finding that no other learning rate improves is not one) ...
    unconfirmed_if: ... only when this also holds of the run.
    needs_replay:  the finding rests on a replay: without one (watch, run, the callbacks) the
                   report says it is unverified.
    """

    tries: tuple[Try, ...]
    when: Callable[[Facts], bool] | None = None
    supplementary: bool = False
    unconfirmed: str | None = None
    unconfirmed_if: Callable[[Facts], bool] | None = None
    needs_replay: bool = False

    def numbers(self) -> tuple[Number, ...]:
        return tuple(t for t in self.tries if isinstance(t, Clip | LearningRate))

    def model_changes(self) -> tuple[ModelChange, ...]:
        return tuple(t for t in self.tries if not isinstance(t, Clip | LearningRate))
