"""The bar a replayed learning rate must clear, as each rule's remedy asks for it."""

from __future__ import annotations

from gradscope.advice.numbers import LR_BAR, rate_bar
from gradscope.advice.replay import IMPROVEMENT
from gradscope.diagnosis import RULES, diagnose
from gradscope.diagnosis.remedies import LearningRate


def _rate_remedy(code: str) -> LearningRate:
    rule = next(r for r in RULES if r.code == code)
    assert rule.remedy is not None
    (remedy,) = [t for t in rule.remedy.tries if isinstance(t, LearningRate)]
    return remedy


def test_every_replayed_rate_must_make_its_own_loss_fall() -> None:
    assert LR_BAR.must_fall and LR_BAR.gain == IMPROVEMENT


def test_a_rate_too_low_under_adam_is_confirmed_only_by_a_clearly_better_rate() -> None:
    rule = next(r for r in RULES if r.code == "GS303")
    finding = next(f for f in diagnose(rule.fires[0].build()).findings if f.code == "GS303")
    bar = rate_bar(_rate_remedy("GS303"), finding)
    assert bar.must_fall and bar.gain == 0.05 and bar.calm is None


def test_a_spike_counts_as_cured_when_a_lower_rate_removes_it() -> None:
    rule = next(r for r in RULES if r.code == "GS301")
    spike = next(e for e in rule.fires if "spike" in e.why)
    finding = next(f for f in diagnose(spike.build()).findings if f.code == "GS301")
    bar = rate_bar(_rate_remedy("GS301"), finding)
    assert bar.must_fall and bar.gain == IMPROVEMENT and bar.calm is not None
    assert not bar.calm([1.4, 3.0, 1.4]) and bar.calm([1.4, 1.5, 1.41])
