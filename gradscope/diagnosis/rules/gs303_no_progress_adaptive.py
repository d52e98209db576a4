"""GS303 lr-too-low-adaptive: under Adam and its kin, a loss that makes no progress beyond its own noise.

Under an adaptive optimizer a step is about the learning rate in size whatever the gradient,
so the update ratio alone cannot say "too low" (GS302 judges SGD-like optimizers by it). The
evidence here is the pace of the loss, the same over the 10 to 40 steps gradscope runs (past
about 50 a 5% cap on the whole fall takes over): it has not moved by more than its own
step-to-step jitter, or it crawls (under 0.1% of its level a step, where a healthy start falls
0.2-2%), while the gradients are of a normal size for their weights and are not shrinking (a
converged model's are small or fading) and the typical layer moves less than a healthy step (1e-3
of its size), so a plateau that comes of brisk steps (a layer-scale warm-up, a decoder at its
uninformative level) is not this. It is a hypothesis until a replay confirms it: `diagnose`
replays the same steps from the same start at larger rates and withdraws the finding unless one
ends clearly lower; `watch`, `run` and the callbacks cannot replay, and the report says so.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

from gradscope.data.records import Finding, RunRecord, Severity, Verdict
from gradscope.diagnosis.examples import healthy, layer, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import LearningRate, Remedy
from gradscope.diagnosis.rules._common import finding, sig


@dataclass(frozen=True)
class Limits:
    # The loss's fall over the run (a straight line fitted through every step's loss, so the
    # batches at either end do not decide it) is under this share of where the line starts...
    loss_drop: float = 0.05
    # ...and either under this many times the scatter of the losses about that line (no progress
    # out of the noise that the batches make)...
    noise: float = 2.0
    # ...or falling, but under this share of where the line starts per step: a crawl, whatever
    # the noise (a LoRA fine-tune at 5e-5 falls 0.04% a step, out of its noise but at a pace that
    # needs thousands of steps; the slowest healthy hold-out, a float32 Llama at 2e-5, falls
    # 0.4%). A pace, so the runs gradscope makes (10 to 40 steps) judge the same crawl alike; past
    # 50 steps the total above is the tighter test, so a long run that got somewhere is not
    # called stalled for slowing down. A rising loss is not a crawl: it is no rate too low.
    crawl: float = 1e-3
    # The typical dense layer (the median; zero- and small-initialised layers and the head left
    # out) moves less than a healthy step. The median, not the layers that move most: under Adam a
    # layer's step grows with the square root of its fan-in, so the widest layers (a LoRA A on an
    # MLP's 4x projection) stand well above the rest at any rate.
    update_ratio: float = 1e-3
    # The gradients are of a normal size for their weights (median dense layer): at convergence
    # they are small, and a flat loss is then the goal reached, not a rate too low.
    rel_grad: float = 1e-3
    # ...and not shrinking: the last steps' median total norm at least this share of the first's.
    grad_kept: float = 0.5
    # Under a warm-up the early steps are small by design; the run is judged only when even its
    # last steps, at the highest rate reached, move the weights under this share of a healthy step.
    warmup_reached: float = 0.1


def _trend(losses: tuple[float, ...]) -> tuple[float, float, float]:
    """The fitted line's start, its fall over the run, and the losses' scatter about it."""
    steps = list(range(len(losses)))
    slope, intercept = statistics.linear_regression(steps, losses)
    scatter = statistics.pstdev(v - (intercept + slope * i) for i, v in zip(steps, losses, strict=True))
    return intercept, -slope * (len(losses) - 1), scatter


def _grad_kept(facts: Facts) -> float:
    norms = [v for v in facts.total_grad_norms if math.isfinite(v)]
    if len(norms) < 2 * facts.window:
        return math.nan
    first, last = statistics.median(norms[: facts.window]), statistics.median(norms[-facts.window :])
    return last / first if first > 0 else math.nan


def _warming_up(facts: Facts) -> bool:
    """A warm-up still under way: the rate rose over the last third of the measured steps. One
    that ended earlier (the Trainer's few warm-up steps, then a constant rate) left most of the
    run at the rate the user chose, and the run is judged by it."""
    steps = facts.record.steps if facts.record is not None else ()
    if len(steps) < 2:
        return False
    before = [v for v in steps[len(steps) - 1 - max(1, len(steps) // 3)].lr if math.isfinite(v)]
    last = [v for v in steps[-1].lr if math.isfinite(v)]
    return bool(before and last) and max(last) > WARMING * max(before)


# A rise in the rate over the last third of the run larger than this factor is a warm-up under
# way, not a float's wobble in a constant or cyclic schedule.
WARMING = 1.1


def _still_crawling(facts: Facts, limits: Limits) -> bool:
    """At the end of a warm-up window the median dense layer still moves under a tenth of a healthy step."""
    last = [v for v in facts.step_update_ratios[-facts.window :] if math.isfinite(v)]
    return bool(last) and statistics.median(last) < limits.warmup_reached * limits.update_ratio


FLAT = [2.80, 2.79, 2.81, 2.80, 2.78, 2.80, 2.79, 2.81, 2.79, 2.80]
CRAWL = [2.820, 2.818, 2.819, 2.815, 2.814, 2.813, 2.812, 2.809, 2.809, 2.806]


def _warming(moves: float, over: int = 10) -> RunRecord:
    """AdamW on a flat loss while a linear warm-up over `over` steps raises the rate to 1e-3 (then
    holds it), its layers moving `moves` a step."""
    run = record(mlp(), grad=[0.5] * 4, update_ratio=[moves] * 4, losses=FLAT, optimizer="AdamW")
    steps = tuple(replace(s, lr=(1e-3 * min(s.step + 1, over) / over,)) for s in run.steps)
    return replace(run, steps=steps)


@rule(
    "GS303",
    "lr-too-low-adaptive",
    "under an adaptive optimizer the loss makes no progress beyond its noise, or crawls, while the "
    "gradients keep a normal size and the typical layer moves less than a healthy step",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.STALLED,
    needs_loss=True,
    min_steps=6,
    # A fade or dead units are the cause where they are found; GS302 says the same for SGD.
    # GS204/GS205 (issue 24): updates lost to bf16/fp16 rounding or skipped by GradScaler are
    # not starved by the learning rate; a larger one is not the cure.
    yields_to=("GS101", "GS103", "GS302", "GS204", "GS205"),
    remedy=Remedy(
        (LearningRate("up", gain=0.05),),
        unconfirmed="no larger learning rate replayed from the same start ended clearly lower, so the flat "
        "loss is not the learning rate's",
        needs_replay=True,
    ),
    fires=(
        Example(
            "AdamW moving weights 5e-5 a step, gradients of normal size, the loss flat within its noise",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[5e-5] * 4, losses=FLAT, optimizer="AdamW"),
        ),
        Example(
            "a crawl out of the noise: AdamW moving the typical layer 6e-4 a step, the loss falling 0.05% a step",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[6e-4] * 4, losses=CRAWL, optimizer="AdamW"),
        ),
        Example(
            "a warm-up over the first 3 of 10 steps, then a constant rate moving the layers 5e-4 a step on a flat "
            "loss (the Trainer's short warm-up: the run is judged at the rate it ended on)",
            lambda: _warming(5e-4, over=3),
        ),
        Example(
            "a warm-up whose highest rate still moves the weights 2e-5 a step (Adafactor's warmup_init)",
            lambda: _warming(2e-5),
        ),
    ),
    quiet=(
        Example("a healthy run", healthy),
        Example(
            "a flat loss early in a warm-up whose rate already moves the weights 5e-4 a step", lambda: _warming(5e-4)
        ),
        Example(
            "the same flat loss under SGD: the update ratio judges SGD (GS302)",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[5e-5] * 4, losses=FLAT),
        ),
        Example(
            "Adam at a healthy 2e-3 a step on a plateau (a warm-up, a layer-scale start): the steps are brisk",
            lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[2e-3] * 4, losses=FLAT, optimizer="Adam"),
        ),
        Example(
            "a converged model: flat loss, gradients 1e-5 of the weights",
            lambda: record(mlp(), grad=[1e-4] * 4, update_ratio=[5e-5] * 4, losses=FLAT, optimizer="Adam"),
        ),
        Example(
            "slow but real progress: Adam at 1e-4 a step, the loss falling steadily out of its noise",
            lambda: record(
                mlp(),
                grad=[0.5] * 4,
                update_ratio=[1e-4] * 4,
                losses=[2.8 - 0.012 * i for i in range(10)],
                optimizer="Adam",
            ),
        ),
        Example(
            "a PPO net at Adam 3e-4: a noisy RL loss, policy layers at 2.5e-4 and 5.5e-4 a step, value layers at "
            "1.3e-3 and 1.5e-3 (the middle layer is brisk)",
            lambda: record(
                mlp(5),
                grad=[0.5] * 5,
                update_ratio=[5.5e-4, 2.5e-4, 1.5e-3, 1.3e-3, 2e-3],
                losses=FLAT,
                optimizer="Adam",
            ),
        ),
        Example(
            "a loss rising out of its noise (2.0 to 2.45) under AdamW at small steps: no rate too low",
            lambda: record(
                mlp(),
                grad=[0.5] * 4,
                update_ratio=[5e-4] * 4,
                losses=[2.0 + 0.05 * i for i in range(10)],
                optimizer="AdamW",
            ),
        ),
        Example(
            "a single zero-initialised layer (a logistic regression from zeros) at convergence: no gradient to judge",
            lambda: record([layer("fc")], grad=[1e-6], update_ratio=[5e-5], losses=FLAT, optimizer="Adam", weight=0.0),
        ),
        Example(
            "gradients shrinking to a tenth: a model settling into its minimum",
            lambda: record(
                mlp(),
                grad=[0.5] * 4,
                update_ratio=[5e-5] * 4,
                losses=FLAT,
                optimizer="Adam",
                grad_scale=[1.0, 1.0, 1.0, 0.5, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1],
            ),
        ),
    ),
)
def lr_too_low_adaptive(facts: Facts, limits: Limits) -> Finding | None:
    if not facts.adaptive or not facts.loss_finite or len(facts.losses) < 2:
        return None
    if len(set(facts.losses)) < 2:
        return None  # a constant loss: nothing is learned at any rate, a bug rather than a rate
    if _warming_up(facts) and not _still_crawling(facts, limits):
        return None  # a warm-up's small early rates are the schedule's, not the rate's
    start, progress, scatter = _trend(facts.losses)
    pace = progress / (len(facts.losses) - 1) / abs(start) if start else math.inf
    moves = facts.typical_update_ratio()
    # NaN where every trained layer is half of an adapter pair (LoRA's A and B): the gradients'
    # size says nothing there, and whether they shrink (grad_kept) is the test left.
    rel_grad = facts.median_rel_grad()
    if rel_grad is None:
        return None  # no layer's gradient to judge convergence by
    kept = _grad_kept(facts)
    if not (
        progress < limits.loss_drop * abs(start)
        and (abs(progress) < limits.noise * scatter or 0 <= pace < limits.crawl)
        and moves < limits.update_ratio
        and not rel_grad < limits.rel_grad
        and kept >= limits.grad_kept
    ):
        return None
    evidence = {
        "loss_start": sig(start), "loss_fall": sig(progress), "loss_scatter": sig(scatter),
        "loss_fall_per_step": sig(pace), "typical_update_ratio": sig(moves), "median_rel_grad": sig(rel_grad),
        "grad_kept": sig(kept), "lr": list(facts.lr),
    }  # fmt: skip
    return finding(
        lr_too_low_adaptive,
        [],
        evidence,
        f"the loss fell {progress:.2g} from {start:.3g} in {facts.steps} steps ({pace:.2%} a step; the scatter "
        f"of its batches {scatter:.2g}), while the gradients kept their size and the typical layer moved "
        f"{moves:.2g} of its size per step under {facts.optimizer}",
        "raise the learning rate",
    )
