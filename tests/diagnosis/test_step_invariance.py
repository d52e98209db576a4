"""A verdict does not depend on the run's length: the same verdict and flagged layers at
--steps 10, 20, 30 and 40, with verification on, for a fast subset of the sample models and
the story models (the full table over every model: benchmarks/evaluate.py --steps 10 20 30 40)."""

from __future__ import annotations

from pathlib import Path

import pytest
from expectations import expected_of, mismatches
from harness import ROOT

from gradscope.config import RunConfig
from gradscope.data.records import LayerStatus
from gradscope.doors.diagnose import run_diagnosis

SUBSET = [
    ROOT / "sample_models" / "healthy_mlp.py",
    ROOT / "sample_models" / "lr_too_high.py",
    ROOT / "sample_models" / "deep_sigmoid.py",
    ROOT / "sample_models" / "dead_relu.py",
    ROOT / "tests" / "scripts" / "stories" / "spike_adam_mlp.py",
    ROOT / "tests" / "scripts" / "stories" / "healthy_adam_mlp.py",
]
STEPS = (10, 20, 30, 40)


@pytest.mark.slow
@pytest.mark.parametrize("script", SUBSET, ids=[s.stem for s in SUBSET])
def test_verdict_and_flagged_layers_do_not_change_with_the_step_count(script: Path) -> None:
    expected = expected_of(script)
    seen = {}
    for steps in STEPS:
        report = run_diagnosis(RunConfig(script=script, steps=steps, device="cpu", budget=None))
        assert mismatches(report, expected) == [], f"--steps {steps}"
        flagged = {
            layer.name: status
            for layer, status in zip(report.record.layers, report.statuses, strict=True)
            if status is not LayerStatus.HEALTHY
        }
        seen[steps] = (report.verdict, flagged)
    assert len(set(map(repr, seen.values()))) == 1, seen
