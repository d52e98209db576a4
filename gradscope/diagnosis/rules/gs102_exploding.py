"""GS102 exploding-gradient: gradients far larger than the weights they update, or growing with depth."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradscope.diagnosis.examples import healthy, mlp, record
from gradscope.diagnosis.facts import Facts
from gradscope.diagnosis.registry import Example, rule
from gradscope.diagnosis.rules._common import finding, names, sig
from gradscope.types import Finding, LayerStatus, Severity, Verdict, ratio


@dataclass(frozen=True)
class Limits:
    # A plain SGD step of lr * ||g|| would exceed the weights this many times over.
    rel_grad: float = 1e2
    # The gradient grows this much from the output layer back to an earlier layer...
    depth_ratio: float = 1e2
    # ...while the total gradient norm is this large: growth through depth of small gradients
    # is a poorly scaled net, not an explosion.
    total_grad_norm: float = 1e4


@rule(
    "GS102",
    "exploding-gradient",
    "gradients far larger than the weights they update, or growing 100x towards the input",
    Severity.ERROR,
    limits=Limits(),
    verdict=Verdict.EXPLODING,
    status=LayerStatus.EXPLODING,
    fires=(
        Example(
            "gradients 1e4-1e6 on weights of norm 10",
            lambda: record(mlp(), grad=[1e6, 5e5, 1e5, 1e4], update_ratio=[0.5, 0.5, 0.5, 0.5]),
        ),
    ),
    quiet=(Example("a healthy run", healthy),),
)
def exploding(facts: Facts, limits: Limits) -> Finding | None:
    dense = [f for f in facts.dense() if math.isfinite(f.rel_grad)]
    if not dense:
        return None
    # A zero-initialised layer (LoRA B, zero-init output heads) has a tiny norm by design, so
    # its gradient/weight ratio is huge while nothing is wrong: judge it by depth growth only.
    flagged = [f for f in dense if f.rel_grad > limits.rel_grad and not f.zero_init]
    last = dense[-1]
    growth = [f for f in dense[:-1] if ratio(f.rel_grad, last.rel_grad) > limits.depth_ratio]
    total = max((v for v in facts.total_grad_norms if math.isfinite(v)), default=0.0)
    if not flagged and not (growth and total > limits.total_grad_norm):
        return None
    chosen = sorted({f.index for f in flagged + growth})
    layers = [facts.layers[i] for i in chosen]
    evidence = {
        "rel_grad": {f.name: sig(f.rel_grad) for f in layers},
        "max_total_grad_norm": sig(total),
        "threshold_rel_grad": limits.rel_grad,
    }
    return finding(
        exploding,
        [f.name for f in layers],
        evidence,
        f"gradients up to {max(f.rel_grad for f in layers):.3g}x the weights' norm in {names(layers)} "
        f"(total gradient norm up to {total:.3g})",
        "clip the gradient norm, and fix the initialisation (kaiming/xavier) or add normalisation",
    )
