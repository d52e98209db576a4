"""Changes to the model and its precision: what is replayed, and in which precision."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from gradscope.advice.advisor import Advisor
from gradscope.advice.changes import master_weights
from gradscope.advice.replay import Replayer
from gradscope.data.records import Recommendation, RunRecord
from gradscope.diagnosis import RULES, diagnose
from gradscope.diagnosis.remedies import MasterWeights


class Asked:
    """A session that records the precision each replay was asked to run in, and loses nothing."""

    def __init__(self) -> None:
        self.precisions: list[str | None] = []

    def run(self, steps: int, *, precision: str | None = None, **_: Any) -> tuple[list[float], Any]:
        self.precisions.append(precision)
        return [2.0 * 0.8**i for i in range(steps)], None


def _fp16_lost_updates(optimizer: str) -> RunRecord:
    lost = next(r for r in RULES if r.code == "GS204").fires[0].build()
    return replace(lost, run=replace(lost.run, dtype="float16", precision="16-true", optimizer=optimizer))


def _advise(record: RunRecord) -> tuple[Recommendation | None, list[str | None]]:
    diagnosis = diagnose(record)
    (finding,) = [f for f in diagnosis.findings if f.code == "GS204"]
    losses = [s.loss for s in record.steps if s.loss is not None and math.isfinite(s.loss)]
    session = Asked()
    advisor = Advisor(record, diagnosis, Replayer(session, len(losses), losses))
    return master_weights(advisor, MasterWeights(), finding, []), session.precisions


def test_fp16_weights_under_adam_get_16_mixed_master_weights_replayed() -> None:
    made, asked = _advise(_fp16_lost_updates("AdamW"))
    assert made is not None and made.numbers["precision"] == "16-mixed"
    assert asked == ["16-mixed"]
    assert made.verified is not None and made.verified.improved


def test_fp16_weights_under_lbfgs_get_bf16_mixed_master_weights_replayed_not_an_error() -> None:
    # 16-mixed needs a GradScaler, which cannot step LBFGS (a closure): bfloat16 autocast needs
    # none, so that is what is recommended and replayed, instead of a replay that fails inside
    # the advice as if the user's script were wrong.
    made, asked = _advise(_fp16_lost_updates("LBFGS"))
    assert made is not None and made.numbers["precision"] == "bf16-mixed"
    assert asked == ["bf16-mixed"]
    assert "torch.bfloat16" in made.code and "LBFGS" in made.how
