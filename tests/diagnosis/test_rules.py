"""Every rule in the registry has a firing and a non-firing example, built from plain records."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gradscope.data.notes import NoteCode, Voice
from gradscope.data.records import LayerStatus, Role, Verdict
from gradscope.diagnosis import RULES, build_facts, diagnose
from gradscope.diagnosis.examples import healthy, layer, mlp, record
from gradscope.diagnosis.registry import Example, Rule

HEALTHY = healthy()
EXAMPLES = [(r, e) for r in RULES for e in r.fires]
QUIET = [(r, e) for r in RULES for e in r.quiet]


def test_every_rule_has_examples_and_a_unique_code() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for r in RULES:
        assert r.name and r.description and r.code.startswith("GS")
        assert r.fires, f"{r.code} has no example that fires"
        assert r.quiet, f"{r.code} has no example that stays quiet"


def test_every_rule_lives_in_its_own_module_named_by_its_code() -> None:
    for r in RULES:
        module = r.check.__module__.rsplit(".", 1)[-1]
        assert module.startswith(r.code.lower() + "_"), (r.code, module)


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r.code}-{i}" for i, (r, _) in enumerate(EXAMPLES)])
def test_rule_fires_on_its_examples(rule: Rule, example: Example) -> None:
    finding = rule(build_facts(example.build()))
    assert finding is not None, example.why
    assert finding.code == rule.code and finding.rule == rule.name
    assert finding.message
    assert finding.evidence


@pytest.mark.parametrize(("rule", "example"), QUIET, ids=[f"{r.code}-{i}" for i, (r, _) in enumerate(QUIET)])
def test_rule_stays_quiet_on_its_counter_examples(rule: Rule, example: Example) -> None:
    assert rule(build_facts(example.build())) is None, example.why


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
    stalled = next(f for f in d.findings if f.code == "GS302")
    assert stalled.withdrawn == "explained by GS101 vanishing-gradient"


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
    (note,) = [n for n in d.notes if n.code is NoteCode.NO_LOSS]
    assert note.fields["rules"] == ["GS301 lr-too-high", "GS302 lr-too-low", "GS303 lr-too-low-adaptive"]
    assert "did not run" in note.text(Voice(door="watch"))


def test_statuses_follow_the_findings() -> None:
    rec = next(r for r in RULES if r.code == "GS201").fires[0].build()
    d = diagnose(rec)
    assert d.statuses[2] is LayerStatus.UNUSED
    assert d.verdict is Verdict.HEALTHY  # an unused layer is a warning, not a training pathology


def test_a_run_too_short_for_the_loss_rules_says_so() -> None:
    rec = record(mlp(), grad=[0.5] * 4, update_ratio=[0.3] * 4, steps=3, losses=[2.0, 9.0, 30.0])
    d = diagnose(rec)
    assert "GS301" not in {f.code for f in d.findings}
    (note,) = [n for n in d.notes if n.code is NoteCode.TOO_SHORT]
    assert "GS301 lr-too-high needs 4" in note.fields["skipped"]
    assert "too short" in note.text(Voice())
    longer = record(mlp(), grad=[0.5] * 4, update_ratio=[0.3] * 4, steps=4, losses=[2.0, 9.0, 30.0, 40.0])
    assert diagnose(longer).verdict is Verdict.UNSTABLE


def test_saturation_after_a_burst_is_withdrawn_as_its_consequence() -> None:
    # Gradients even through depth until a burst at step 3; afterwards the early layers are
    # saturated (1e-9 of the head's gradient): vanishing only after the explosion.
    steps = 12
    rec = record(mlp(6, "Tanh"), grad=[0.5] * 6, update_ratio=[0.05] * 6, steps=steps,
                 losses=[2.0, 2.5, 40.0, 300.0, 90.0] + [50.0] * 7,
                 grad_scale=[1, 2, 50, 500, 100] + [1.0] * 7)  # fmt: skip
    late = [0.5e-9, 0.5e-9, 0.5e-9, 0.5e-9, 0.5, 0.5]
    rows = [
        s if s.step < 5 else replace(s, grad_norm=tuple(late), update_norm=(1e-12,) * 4 + (0.5, 0.5)) for s in rec.steps
    ]
    d = diagnose(replace(rec, steps=tuple(rows)))
    assert d.verdict is Verdict.EXPLODING
    vanishing = next(f for f in d.findings if f.code == "GS101")
    assert vanishing.withdrawn is not None and "came first" in vanishing.withdrawn
    assert LayerStatus.VANISHING not in d.statuses
