"""Every sample model is diagnosed as its EXPECTED declares (verdict, layer statuses, actions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from expectations import expected_of, mismatches
from harness import ROOT

from gradscope.config import RunConfig
from gradscope.data.records import LayerStatus, Verdict
from gradscope.doors.diagnose import run_diagnosis

SAMPLES = sorted((ROOT / "sample_models").glob("*.py"))


def test_there_are_enough_samples() -> None:
    assert len(SAMPLES) >= 14


@pytest.mark.parametrize("script", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_sample_diagnosed_as_declared(script: Path) -> None:
    expected = expected_of(script)
    report = run_diagnosis(RunConfig(script=script, device="cpu", budget=None))
    assert mismatches(report, expected) == []
    if expected["verdict"] == "healthy":
        problems = {LayerStatus.VANISHING, LayerStatus.EXPLODING, LayerStatus.DEAD, LayerStatus.NONFINITE}
        assert report.verdict is Verdict.HEALTHY
        assert not problems & set(report.statuses)
    for rec in report.recommendations:
        if rec.verified is not None and rec.action in {"clip_grad_norm", "learning_rate"}:
            # A number is printed only when the replay showed it helps.
            assert rec.verified.improved
