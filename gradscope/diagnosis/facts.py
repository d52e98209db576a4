"""Facts: the recorded run summarised into the figures rules judge by.

Computed once from a RunRecord; pure Python, no torch, so rules can be tested
on hand-written records.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from gradscope.data.records import LayerInfo, Role, RunRecord, ratio
from gradscope.data.summary import finite_median

# Optimizers that divide by a running gradient scale (Adam and its kin), or step by sign or
# orthogonalisation (Lion, Muon): a small gradient still gives an update of about lr, so update
# ratios say little about gradient size. Told by name, as substrings of the class name, so the
# 8-bit, paged, fused, schedule-free and learning-rate-free variants count too; a run that steps
# several optimizers ("Muon + AdamW") is adaptive when every one of them is.
ADAPTIVE_MARKS = (
    "adam", "adagrad", "adadelta", "rmsprop", "adafactor", "lion", "lamb", "adan", "sophia", "muon", "shampoo",
    "soap", "prodigy",
)  # fmt: skip


def is_adaptive(optimizer: str) -> bool:
    parts = [p.strip().lower() for p in optimizer.split(" + ")]
    return bool(parts) and all(any(mark in part for mark in ADAPTIVE_MARKS) for part in parts)


RELU_LIKE = frozenset({"ReLU", "ReLU6", "LeakyReLU", "Hardtanh", None})


@dataclass(frozen=True)
class LayerFacts:
    index: int
    info: LayerInfo
    grad_steps: int  # steps on which the layer had a gradient
    grad_norm: float  # medians over steps
    weight_norm: float
    update_ratio: float
    rel_grad: float  # ||g|| / ||W||: the gradient's size for the weights it moves
    zero_frac: float
    dead_frac: float  # share of units with a zero bias gradient, on the step with fewest
    nonfinite: int
    zero_init: bool  # weights exactly zero before the first step (LoRA B, zero-init heads)
    all_zero: bool  # gradient exactly zero on every step it existed
    grad_first: float = math.nan  # gradient norm on the first step it had one
    grad_peak: float = math.nan  # the largest finite gradient norm of the run
    # Weights started near zero: their RMS under a tenth of the median dense layer's (a policy
    # head at gain 0.01, a layer-scale gain): their update ratio is large by design.
    small_init: bool = False

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def measurable(self) -> bool:
        """Trainable, held by the optimizer and reached by the gradient (even an all-zero one)."""
        return self.info.trainable and self.info.optimized and self.grad_steps > 0

    @property
    def learning(self) -> bool:
        """Measurable and given a gradient that is not all zeros: a yardstick for the others."""
        return self.measurable and not self.all_zero


@dataclass(frozen=True)
class Facts:
    layers: tuple[LayerFacts, ...]
    optimizer: str
    adaptive: bool
    lr: tuple[float, ...]
    steps: int
    losses: tuple[float, ...]  # finite or not, in step order; empty if no loss was given
    total_grad_norms: tuple[float, ...]
    window: int
    # Per step, the median update ratio of the dense layers that learn (NaN when none).
    step_update_ratios: tuple[float, ...] = ()
    classes: int | None = None  # of a cross-entropy loss gradscope computed, when known
    # Per step, the policy's entropy as a share of its maximum (StepRecord.policy_entropy): NaN
    # on steps without one; empty when the run has none.
    policy_entropy: tuple[float, ...] = ()
    # The optimizer step each record is of (k apart under --every k); empty for hand-made facts.
    step_numbers: tuple[int, ...] = ()
    # The record itself, for rules that judge figures no summary above carries (the precision
    # rules: lost updates per layer, the loss scale); None for hand-made facts.
    record: RunRecord | None = None

    @property
    def has_loss(self) -> bool:
        return bool(self.losses)

    @property
    def policy(self) -> bool:
        """The script sampled from a categorical policy (`gradscope run` saw its distributions).
        Its loss is then a policy-gradient objective, whose level is no measure of progress: it
        falls as a value head fits each rollout while the policy collapses, rises with the returns
        as the policy improves, and changes sign with normalised advantages. The rules that read
        progress from the loss's level leave it alone; the policy's entropy is judged instead."""
        return bool(self.policy_entropy)

    @property
    def loss_finite(self) -> bool:
        return all(math.isfinite(v) for v in self.losses)

    def loss_start(self) -> float:
        return statistics.fmean(self.losses[: self.window])

    def loss_end(self) -> float:
        return statistics.fmean(self.losses[-self.window :])

    def loss_drop(self) -> float:
        """Relative fall of the loss over the run, measured against its distance from zero."""
        start, end = self.loss_start(), self.loss_end()
        return ratio(start - end, abs(start)) if start else 0.0

    def learned_nothing(self, band: float) -> bool:
        """A cross-entropy loss that never got below `band` of ln(C): no better than a uniform guess."""
        if self.classes is None or self.classes < 2 or not self.losses:
            return False
        finite = [v for v in self.losses if math.isfinite(v)]
        return bool(finite) and min(finite) >= band * math.log(self.classes)

    def dense(self) -> list[LayerFacts]:
        """Layers whose gradients follow the depth physics rules reason about."""
        return [f for f in self.layers if f.info.role is Role.DENSE and f.measurable]

    def feeding_zero_init(self) -> set[int]:
        """The dense layers whose next dense layer (in model order) started at zero: LoRA's A
        before its B, a branch before a zero-initialised projection. Their gradient passes
        through those zero weights, so it is small by design while they grow."""
        ordered = self.dense()
        return {a.index for a, b in itertools.pairwise(ordered) if b.zero_init}

    def median_rel_grad(self) -> float | None:
        """The typical dense layer's gradient norm over its weight norm. None when no dense layer
        gives one (all started at zero, or none has a finite ratio): nothing to judge by. NaN
        when every one that gives one feeds a zero-initialised layer (an adapter's A matrices
        before their B): their gradients are small by design, no yardstick either."""
        given = [f for f in self.dense() if not f.zero_init and math.isfinite(f.rel_grad)]
        if not given:
            return None
        feeding = self.feeding_zero_init()
        values = [f.rel_grad for f in given if f.index not in feeding]
        return statistics.median(values) if values else math.nan

    def _movers(self) -> list[float]:
        """The update ratios of the dense layers that say how fast the net learns, sorted."""
        pool = [f for f in self.dense() if not f.zero_init and f.learning]
        # Without the output head when there are hidden layers: a small-initialised head moves
        # a large share of its tiny norm and would set the bar for every other layer; so would
        # any other layer that started near zero (a policy's action head beside its value head).
        pool = pool[:-1] if len(pool) >= 3 else pool
        pool = [f for f in pool if not f.small_init]
        pool = pool or [f for f in self.layers if f.learning]
        return sorted(f.update_ratio for f in pool if math.isfinite(f.update_ratio))

    def top_update_ratio(self) -> float:
        """How far the layers that learn most move: the 90th percentile of `_movers`."""
        values = self._movers()
        return values[min(len(values) - 1, int(0.9 * len(values)))] if values else math.nan

    def typical_update_ratio(self) -> float:
        """How far the typical layer of `_movers` moves: their median, the faster of the two
        middle layers for an even count. A rule that calls the net slow when this is small
        then needs the middle layer itself to be slow, not the mean of a slow and a brisk one
        (a PPO net at 3e-4: policy layers 2.5e-4 and 5.5e-4 a step, value layers 1.3e-3 and
        1.5e-3, learning as it should)."""
        values = self._movers()
        return statistics.median_high(values) if values else math.nan

    def median_update_ratio(self) -> float:
        values = [f.update_ratio for f in _yardsticks(self.layers)]
        return finite_median(values)


# Loss-curve summaries use the mean of this many steps at each end.
LOSS_WINDOW = 3


def build_facts(record: RunRecord, window: int = LOSS_WINDOW) -> Facts:
    layers = []
    for i, info in enumerate(record.layers):
        with_grad = [s for s in record.steps if s.has_grad[i]]
        grads = [s.grad_norm[i] for s in with_grad]
        weights = [s.weight_norm[i] for s in record.steps]
        updates = [s.update_ratio[i] for s in record.steps]
        rel = [ratio(s.grad_norm[i], s.weight_norm[i]) for s in with_grad]
        dead = [s.dead_unit_frac[i] for s in with_grad if s.dead_unit_frac]
        layers.append(
            LayerFacts(
                index=i,
                info=info,
                grad_steps=len(with_grad),
                grad_norm=finite_median(grads) if grads else 0.0,
                weight_norm=finite_median(weights) if weights else 0.0,
                update_ratio=finite_median(updates) if updates else 0.0,
                rel_grad=finite_median(rel) if rel else 0.0,
                zero_frac=statistics.median([s.zero_grad_frac[i] for s in with_grad]) if with_grad else 1.0,
                dead_frac=min(dead) if dead else 0.0,
                nonfinite=sum(s.nonfinite_grad[i] + s.nonfinite_weight[i] for s in record.steps),
                zero_init=bool(weights) and weights[0] == 0.0,
                all_zero=bool(with_grad) and all(s.grad_norm[i] == 0.0 for s in with_grad),
                grad_first=grads[0] if grads else math.nan,
                grad_peak=max((g for g in grads if math.isfinite(g)), default=math.nan),
            )
        )
    run = record.run
    return Facts(
        layers=_mark_small_init(layers, record),
        optimizer=run.optimizer,
        adaptive=is_adaptive(run.optimizer),
        lr=run.lr,
        steps=len(record.steps),
        losses=tuple(s.loss for s in record.steps if s.loss is not None),
        total_grad_norms=tuple(s.total_grad_norm for s in record.steps),
        step_update_ratios=_step_update_ratios(record, layers),
        classes=run.classes,
        policy_entropy=_policy_entropy(record),
        step_numbers=tuple(s.step for s in record.steps),
        record=record,
        window=max(1, min(window, len(record.steps) // 3 or 1)),
    )


# A layer whose weights start under this share of the median dense layer's RMS started near zero.
SMALL_INIT = 0.1


def _mark_small_init(layers: list[LayerFacts], record: RunRecord) -> tuple[LayerFacts, ...]:
    if not record.steps:
        return tuple(layers)
    first = record.steps[0].weight_norm
    rms = {f.index: first[f.index] / math.sqrt(f.info.params) for f in layers if f.info.params > 0}
    dense = [rms[f.index] for f in layers if f.info.role is Role.DENSE and f.measurable and f.index in rms]
    if len(dense) < 3:
        return tuple(layers)
    typical = statistics.median(dense)
    return tuple(
        replace(f, small_init=True)
        if f.info.role is Role.DENSE and f.index in rms and 0 < rms[f.index] < SMALL_INIT * typical
        else f
        for f in layers
    )


def _policy_entropy(record: RunRecord) -> tuple[float, ...]:
    if all(s.policy_entropy is None for s in record.steps):
        return ()
    return tuple(math.nan if s.policy_entropy is None else s.policy_entropy for s in record.steps)


def _step_update_ratios(record: RunRecord, layers: list[LayerFacts]) -> tuple[float, ...]:
    """Each step's median update ratio over the dense layers that learn."""
    pool = [f.index for f in _yardsticks(layers)]
    return tuple(finite_median([s.update_ratio[i] for i in pool]) if pool else math.nan for s in record.steps)


def _yardsticks(layers: Sequence[LayerFacts]) -> list[LayerFacts]:
    """The layers whose updates say how fast the net moves: dense layers that learn, else any that learn."""
    return [f for f in layers if f.info.role is Role.DENSE and f.learning] or [f for f in layers if f.learning]
