"""Changes to the model and its precision: what is replayed, and what cannot be."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gradscope.advice.advisor import Advisor
from gradscope.advice.changes import master_weights
from gradscope.advice.replay import Replayer
from gradscope.data.records import RunRecord
from gradscope.diagnosis import RULES, diagnose
from gradscope.diagnosis.remedies import MasterWeights


class NoReplays:
    """A session that fails the test if asked to replay."""

    def run(self, steps: int, **_: Any) -> tuple[list[float], Any]:
        raise AssertionError(f"a replay of {steps} steps was asked for")


def _fp16_lost_updates(optimizer: str) -> RunRecord:
    lost = next(r for r in RULES if r.code == "GS204").fires[0].build()
    return replace(lost, run=replace(lost.run, dtype="float16", precision="16-true", optimizer=optimizer))


def _advise(record: RunRecord, session: Any) -> tuple[Any, Advisor]:
    diagnosis = diagnose(record)
    (finding,) = [f for f in diagnosis.findings if f.code == "GS204"]
    losses = [s.loss for s in record.steps if s.loss is not None]
    advisor = Advisor(record, diagnosis, Replayer(session, len(losses), losses))
    return master_weights(advisor, MasterWeights(), finding, []), advisor


def test_fp16_weights_under_lbfgs_get_master_weights_unreplayed_not_an_error() -> None:
    # 16-mixed needs a GradScaler, which cannot step LBFGS (a closure): no replay is tried, and
    # the advice says why instead of failing inside the replay as if the user's script were wrong.
    made, advisor = _advise(_fp16_lost_updates("LBFGS"), NoReplays())
    assert made is not None and made.numbers["precision"] == "16-mixed"
    assert made.verified is None
    assert "not replayed" in made.how and "LBFGS" in made.how
    assert advisor.out_of_time is None


def test_fp16_weights_under_adam_get_master_weights_replayed() -> None:
    with pytest.raises(AssertionError, match="a replay of"):
        _advise(_fp16_lost_updates("AdamW"), NoReplays())
