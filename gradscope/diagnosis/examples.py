"""Hand-written records for the rules' own examples (and the tests).

Plain Python, no torch: a rule file states the runs it must fire and stay
quiet on with these builders, next to its code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradscope.data.records import LayerInfo, Role, RunInfo, RunRecord, StepRecord


def layer(
    name: str,
    *,
    role: Role = Role.DENSE,
    kind: str = "Linear",
    act: str | None = "ReLU",
    trainable: bool = True,
    optimized: bool = True,
) -> LayerInfo:
    return LayerInfo(
        name=name,
        kind=kind,
        params=100,
        role=role,
        param_names=(f"{name}.weight", f"{name}.bias"),
        trainable=trainable,
        optimized=optimized,
        activation=act,
        activation_name=f"{name}_act" if act else None,
    )


def mlp(n: int = 4, act: str = "ReLU") -> list[LayerInfo]:
    """n Linear layers, each but the last followed by `act`."""
    return [layer(f"fc{i}", act=act if i < n - 1 else None) for i in range(n)]


def record(
    layers: Sequence[LayerInfo],
    grad: Sequence[float],
    update_ratio: Sequence[float],
    *,
    steps: int = 10,
    losses: Sequence[float | None] | None = None,
    optimizer: str = "SGD",
    dead: Sequence[float] | None = None,
    has_grad: Sequence[bool] | None = None,
    nonfinite: Sequence[int] | None = None,
    weight: float = 10.0,
    grad_scale: Sequence[float] | None = None,
    loss_source: str = "script",
    classes: int | None = None,
    policy_entropy: Sequence[float | None] | None = None,
) -> RunRecord:
    """A run whose per-layer figures are the same on every step, but for the losses,
    `grad_scale` (a per-step factor on every gradient, for bursts) and a policy's entropy."""
    n = len(layers)
    curve = list(losses) if losses is not None else [2.0 * 0.97**i for i in range(steps)]
    scale = list(grad_scale) if grad_scale is not None else [1.0] * steps
    recs = []
    for i in range(steps):
        grads = tuple(g * scale[i] for g in grad)
        recs.append(
            StepRecord(
                step=i,
                loss=curve[i],
                total_grad_norm=math.sqrt(sum(g * g for g in grads)),
                lr=(0.1,),
                grad_norm=grads,
                weight_norm=(weight,) * n,
                update_norm=tuple(r * weight for r in update_ratio),
                nonfinite_grad=tuple(nonfinite or (0,) * n),
                nonfinite_weight=(0,) * n,
                zero_grad_frac=tuple(dead or (0.0,) * n),
                has_grad=tuple(has_grad or (True,) * n),
                dead_unit_frac=tuple(dead or (0.0,) * n),
                policy_entropy=None if policy_entropy is None else policy_entropy[i],
            )
        )
    run = RunInfo(
        script="x.py", steps=steps, seed=0, device="cpu", dtype="float32", optimizer=optimizer, lr=(0.1,),
        torch="2", gradscope="0", wall_s=0.0, loss_source=loss_source, classes=classes,
    )  # fmt: skip
    return RunRecord(run=run, layers=tuple(layers), steps=tuple(recs))


def healthy() -> RunRecord:
    """A four-layer MLP learning steadily: moderate gradients, updates near 1e-3, loss falling."""
    return record(mlp(), grad=[0.5, 0.6, 0.7, 0.8], update_ratio=[3e-3, 4e-3, 5e-3, 6e-3])
