"""Every rule in the registry has a firing and a non-firing example, built from plain records."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

from gradscope.config import Thresholds
from gradscope.diagnosis import RULES, build_facts, diagnose
from gradscope.types import LayerInfo, LayerStatus, Role, RunInfo, RunRecord, StepRecord, Verdict


def layer(
    name: str, *, role: Role = Role.DENSE, kind: str = "Linear", act: str | None = "ReLU", **kw: object
) -> LayerInfo:
    return LayerInfo(
        name=name,
        kind=kind,
        params=100,
        role=role,
        param_names=(f"{name}.weight", f"{name}.bias"),
        trainable=bool(kw.get("trainable", True)),
        optimized=bool(kw.get("optimized", True)),
        activation=act,
        activation_name=f"{name}_act" if act else None,
    )


def record(
    layers: Sequence[LayerInfo],
    grad: Sequence[float],
    update_ratio: Sequence[float],
    *,
    steps: int = 10,
    losses: Sequence[float] | None = None,
    optimizer: str = "SGD",
    dead: Sequence[float] | None = None,
    has_grad: Sequence[bool] | None = None,
    nonfinite: Sequence[int] | None = None,
    weight: float = 10.0,
) -> RunRecord:
    """A run whose per-layer figures are the same on every step (losses aside)."""
    n = len(layers)
    losses = list(losses) if losses is not None else [2.0 * 0.97**i for i in range(steps)]
    recs = []
    for i in range(steps):
        recs.append(
            StepRecord(
                step=i,
                loss=losses[i],
                total_grad_norm=math.sqrt(sum(g * g for g in grad)),
                lr=(0.1,),
                grad_norm=tuple(grad),
                weight_norm=(weight,) * n,
                update_norm=tuple(r * weight for r in update_ratio),
                nonfinite_grad=tuple(nonfinite or (0,) * n),
                nonfinite_weight=(0,) * n,
                zero_grad_frac=tuple(dead or (0.0,) * n),
                has_grad=tuple(has_grad or (True,) * n),
                dead_unit_frac=tuple(dead or (0.0,) * n),
            )
        )
    run = RunInfo(
        script="x.py", steps=steps, seed=0, device="cpu", dtype="float32", optimizer=optimizer, lr=(0.1,),
        torch="2", gradscope="0", wall_s=0.0,
    )  # fmt: skip
    return RunRecord(run=run, layers=tuple(layers), steps=tuple(recs))


def mlp(n: int = 4, act: str = "ReLU") -> list[LayerInfo]:
    return [layer(f"fc{i}", act=act if i < n - 1 else None) for i in range(n)]


HEALTHY = record(mlp(), grad=[0.5, 0.6, 0.7, 0.8], update_ratio=[3e-3, 4e-3, 5e-3, 6e-3])

# code -> (a record the rule must fire on, a record it must stay quiet on)
EXAMPLES: dict[str, tuple[Callable[[], RunRecord], Callable[[], RunRecord]]] = {
    "GS101": (
        lambda: record(
            mlp(6, "Sigmoid"),
            grad=[1e-9, 1e-7, 1e-5, 1e-3, 0.1, 0.5],
            update_ratio=[1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 5e-3],
        ),
        # A converged model: tiny but even gradients through depth is not vanishing.
        lambda: record(mlp(6), grad=[1e-6] * 6, update_ratio=[1e-7] * 6, losses=[0.01] * 10),
    ),
    "GS102": (
        lambda: record(mlp(), grad=[1e6, 5e5, 1e5, 1e4], update_ratio=[0.5, 0.5, 0.5, 0.5]),
        lambda: HEALTHY,
    ),
    "GS103": (
        lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, dead=[0.9, 0.8, 0.0, 0.0]),
        # The same zero shares behind a sigmoid: no ReLU, no dead units.
        lambda: record(mlp(4, "Sigmoid"), grad=[0.5] * 4, update_ratio=[1e-3] * 4, dead=[0.0, 0.1, 0.0, 0.0]),
    ),
    "GS104": (
        lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4, nonfinite=[3, 0, 0, 0]),
        lambda: HEALTHY,
    ),
    "GS201": (
        lambda: record(
            mlp(),
            grad=[0.5, 0.5, 0.0, 0.5],
            update_ratio=[1e-3, 1e-3, 0.0, 1e-3],
            has_grad=[True, True, False, True],
        ),
        lambda: HEALTHY,
    ),
    "GS202": (
        lambda: record(
            [*mlp(3), layer("head", optimized=False, act=None)],
            grad=[0.5] * 4,
            update_ratio=[1e-3, 1e-3, 1e-3, 0.0],
        ),
        lambda: HEALTHY,
    ),
    "GS203": (
        lambda: record(
            [layer("stem", trainable=False), *mlp(3)],
            grad=[0.0, 0.5, 0.5, 0.5],
            update_ratio=[0.0, 1e-3, 1e-3, 1e-3],
            has_grad=[False, True, True, True],
        ),
        lambda: HEALTHY,
    ),
    "GS301": (
        lambda: record(
            mlp(),
            grad=[2.0] * 4,
            update_ratio=[0.3] * 4,
            losses=[2.0, 3.5, 2.8, 6.0, 9.0, 7.5, 15.0, 30.0, 22.0, 60.0],
        ),
        # Large but falling: a brisk, healthy start.
        lambda: record(mlp(), grad=[2.0] * 4, update_ratio=[0.05] * 4, losses=[2.0 * 0.8**i for i in range(10)]),
    ),
    "GS302": (
        lambda: record(mlp(), grad=[0.5] * 4, update_ratio=[1e-8] * 4, losses=[1.386] * 10),
        lambda: HEALTHY,
    ),
}


def test_every_rule_has_examples_and_a_unique_code() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert set(codes) == set(EXAMPLES)
    for r in RULES:
        assert r.name and r.description and r.code.startswith("GS")


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_fires_on_its_example(rule) -> None:  # type: ignore[no-untyped-def]
    fires, _ = EXAMPLES[rule.code]
    finding = rule.check(build_facts(fires()), Thresholds())
    assert finding is not None
    assert finding.code == rule.code and finding.rule == rule.name
    assert finding.message
    assert finding.evidence


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_stays_quiet_on_its_counter_example(rule) -> None:  # type: ignore[no-untyped-def]
    _, quiet = EXAMPLES[rule.code]
    assert rule.check(build_facts(quiet()), Thresholds()) is None


def test_healthy_record_has_no_findings() -> None:
    d = diagnose(HEALTHY)
    assert d.verdict is Verdict.HEALTHY
    assert d.findings == ()
    assert set(d.statuses) == {LayerStatus.HEALTHY}


def test_adam_rescues_small_gradients_so_no_vanishing_unless_extreme() -> None:
    # Adam moves every layer about lr, whatever its gradient: a 1e-4 depth gap alone is not vanishing.
    rec = record(mlp(6), grad=[1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.5], update_ratio=[1e-3] * 6, optimizer="Adam")
    assert diagnose(rec).verdict is Verdict.HEALTHY


def test_norm_and_embedding_layers_are_not_judged_by_depth() -> None:
    layers = [
        layer("emb", role=Role.EMBEDDING, kind="Embedding", act=None),
        *mlp(3),
        layer("ln", role=Role.NORM, kind="LayerNorm", act=None),
    ]
    rec = record(layers, grad=[1e-9, 0.5, 0.5, 0.5, 1e-9], update_ratio=[1e-9, 1e-3, 1e-3, 1e-3, 1e-9])
    assert diagnose(rec).verdict is Verdict.HEALTHY


def test_thrashing_weights_with_a_flat_loss_is_unstable() -> None:
    # Momentum SGD at a huge LR on a BatchNorm net: weights rewritten ~10% per step, loss spikes then hovers.
    losses = [1.7, 2.3, 3.0, 1.9, 1.7, 1.8, 1.75, 1.9, 2.1, 1.7, 2.1, 2.0, 1.8, 1.75, 1.9, 1.75, 1.6, 2.0, 1.85, 1.75]
    rec = record(mlp(), grad=[0.1] * 4, update_ratio=[0.1] * 4, steps=20, losses=losses)
    assert diagnose(rec).verdict is Verdict.UNSTABLE
    # The same weight movement while the loss falls well is a brisk, healthy start.
    falling = record(mlp(), grad=[0.1] * 4, update_ratio=[0.1] * 4, steps=20, losses=[1.7 * 0.95**i for i in range(20)])
    assert diagnose(falling).verdict is Verdict.HEALTHY


def test_still_weights_explained_by_vanishing_are_not_a_learning_rate_problem() -> None:
    # Every layer but the head barely moves because the gradient fades: vanishing, not stalled.
    grads = [1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.5]
    rec = record(mlp(11, "Sigmoid"), grad=grads, update_ratio=[g * 1e-3 for g in grads], losses=[1.386] * 10)
    d = diagnose(rec)
    assert d.verdict is Verdict.VANISHING
    assert "GS302" not in {f.code for f in d.findings}


def test_zero_initialised_layer_is_not_exploding() -> None:
    rec = record(mlp(), grad=[0.5, 0.6, 0.7, 0.8], update_ratio=[3e-3, 4e-3, 5e-3, 0.5])
    # The head starts at exactly zero and stays tiny: gradient/weight is huge by design.
    steps = [replace(s, weight_norm=(*s.weight_norm[:3], 0.0 if s.step == 0 else 1e-3)) for s in rec.steps]
    rec = replace(rec, steps=tuple(steps))
    assert diagnose(rec).verdict is Verdict.HEALTHY


def test_verdict_precedence_nonfinite_over_exploding() -> None:
    rec = record(mlp(), grad=[1e6, 5e5, 1e5, 1e4], update_ratio=[0.5] * 4, nonfinite=[0, 0, 0, 7])
    d = diagnose(rec)
    assert d.verdict is Verdict.NONFINITE
    assert d.statuses[-1] is LayerStatus.NONFINITE
    assert d.statuses[0] is LayerStatus.EXPLODING


def test_loss_rules_do_not_run_without_a_loss() -> None:
    rec = record(mlp(), grad=[0.5] * 4, update_ratio=[1e-8] * 4)
    rec = replace(rec, steps=tuple(replace(s, loss=None) for s in rec.steps))
    d = diagnose(rec)
    assert d.verdict is Verdict.HEALTHY
    assert any("did not run" in n for n in d.notes)


def test_statuses_follow_the_findings() -> None:
    rec = EXAMPLES["GS201"][0]()
    d = diagnose(rec)
    assert d.statuses[2] is LayerStatus.UNUSED
    assert d.verdict is Verdict.HEALTHY  # an unused layer is a warning, not a training pathology
