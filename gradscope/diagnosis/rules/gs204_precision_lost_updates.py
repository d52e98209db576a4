"""GS204 precision-lost-updates: bfloat16/float16 weights that round the optimizer's steps away.

A weight held in bfloat16 sits on a grid of 8 significant bits: at 0.02 the next value is 1.2e-4
away, at 1.0 (a norm gain) 7.8e-3. An update below half that spacing rounds back to the same
value, so a model converted with `model.to(torch.bfloat16)` and fine-tuned at Adam's usual 1e-5
keeps most of its weights exactly where they started while the loss creeps down on the few
small entries that can move. The probe counts, per layer, the entries with a non-zero gradient
whose value did not change (`StepRecord.lost_frac`); a larger learning rate is not the cure (it
would move the whole model to reach the few), float32 master weights are.

Error when the layers whose updates are mostly lost hold most of the model's low-precision
weights; a warning when they hold a real share but not most. Norm gains alone (a fraction of a
percent of the weights, gains at 1.0 that a 3e-3 step cannot move up) stay quiet: the model
trains, and nothing a user would change follows from it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, replace

from gradscope.data.records import Finding, Role, RunRecord, Severity, Verdict
from gradscope.diagnosis.examples import healthy, layer, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.remedies import MasterWeights, Remedy
from gradscope.diagnosis.rules._common import finding, sig


@dataclass(frozen=True)
class Limits:
    # A layer's updates are "mostly lost" when the median share (over the steps) of its entries
    # with a non-zero gradient that did not change is at least this.
    layer_lost: float = 0.5
    # Error: the layers mostly lost hold at least this share of the low-precision weights.
    most_weights: float = 0.5
    # Warning: they hold at least this share (below it, e.g. norm gains alone: quiet).
    some_weights: float = 0.1


def lost_shares(record: RunRecord) -> dict[int, float]:
    """Per measured layer (index), the median share of its updates lost over the steps."""
    out: dict[int, float] = {}
    for i, info in enumerate(record.layers):
        if not (info.trainable and info.optimized):
            continue  # never stepped by the optimizer (GS202's finding): nothing was lost to rounding
        values = [s.lost_frac[i] for s in record.steps if s.lost_frac and math.isfinite(s.lost_frac[i])]
        if values:
            out[i] = statistics.median(values)
    return out


def _spacings(record: RunRecord, layers: list[int]) -> float:
    """The median size of the changes that landed, in the dtype's spacing, over the flagged layers."""
    values = [
        s.update_spacings[i]
        for s in record.steps
        for i in layers
        if s.update_spacings and math.isfinite(s.update_spacings[i])
    ]
    return statistics.median(values) if values else math.nan


def _with_lost(base: RunRecord, lost: list[float], dtype: str = "bfloat16") -> RunRecord:
    """A hand-made record whose layers lost these shares of their updates on every step."""
    steps = tuple(replace(s, lost_frac=tuple(lost), update_spacings=(1.0,) * len(lost)) for s in base.steps)
    return replace(base, run=replace(base.run, dtype=dtype, precision="bf16-true"), steps=steps)


def _transformer() -> RunRecord:
    layers = [layer("wte", role=Role.EMBEDDING, kind="Embedding", act=None), *mlp(3), layer("ln", role=Role.NORM)]
    layers[-1] = replace(layers[-1], params=2)  # a norm gain is a sliver of the weights
    return record(layers, grad=[0.5] * 5, update_ratio=[1e-4] * 5, optimizer="AdamW")


@rule(
    "GS204",
    "precision-lost-updates",
    "updates lost to rounding: bf16/fp16 weights whose entries keep their value despite a gradient",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.PRECISION,
    remedy=Remedy((MasterWeights(),)),
    fires=(
        Example(
            "a bf16 model at Adam 1e-5: 80% of every layer's updates rounded away",
            lambda: _with_lost(_transformer(), [0.8, 0.8, 0.8, 0.8, 1.0]),
        ),
        Example(
            "a bf16 model whose embedding (a quarter of the weights) loses its updates: a warning",
            lambda: _with_lost(_transformer(), [0.9, 0.05, 0.05, 0.05, 1.0]),
        ),
    ),
    quiet=(
        Example("a float32 run: nothing measured", healthy),
        Example(
            "a bf16 model at Adam 3e-3: a few percent lost, the norm gains (a sliver) frozen at 1.0",
            lambda: _with_lost(_transformer(), [0.04, 0.03, 0.05, 0.04, 1.0]),
        ),
    ),
)
def precision_lost_updates(facts: Facts, limits: Limits) -> Finding | None:
    rec = facts.record
    if rec is None:
        return None
    shares = lost_shares(rec)
    if not shares:
        return None
    weights = {i: max(rec.layers[i].params, 1) for i in shares}
    total = sum(weights.values())
    flagged = [i for i, share in shares.items() if share >= limits.layer_lost]
    held = sum(weights[i] for i in flagged) / total
    if held < limits.some_weights:
        return None
    overall = sum(shares[i] * weights[i] for i in shares) / total
    names = [rec.layers[i].name for i in flagged]
    shown = ", ".join(f"{rec.layers[i].name} {shares[i]:.0%}" for i in flagged[:6])
    more = f" and {len(flagged) - 6} more" if len(flagged) > 6 else ""
    dtype = rec.run.dtype
    found = finding(
        precision_lost_updates,
        names,
        {
            "dtype": dtype,
            "lost_share": sig(overall),
            "weights_share": sig(held),
            "layer_lost": [sig(shares[i]) for i in flagged],
            "update_spacings": sig(_spacings(rec, flagged)),
            "lr": list(facts.lr),
        },
        f"{overall:.0%} of the updates to the {dtype} weights were lost to rounding (entries with a gradient "
        f"that kept their value); {len(flagged)} layer(s) holding {held:.0%} of the weights lost most: "
        f"{shown}{more}",
        "keep float32 master weights (the parameters in float32, the forward under torch.autocast in "
        f"{dtype}), not a larger learning rate",
    )
    return found if held >= limits.most_weights else replace(found, severity=Severity.WARNING)
