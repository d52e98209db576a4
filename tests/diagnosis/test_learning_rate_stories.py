"""Regression tests for the learning-rate stories of issue 23, on models written for these tests
(tests/scripts/stories/): a rate far too low under AdamW, a policy that overshoots, a LoRA
fine-tune whose rate is far too high; and the finding that only a replay can confirm."""

from __future__ import annotations

import pytest
from harness import SCRIPTS

from gradscope.advice.report import Source, assemble, exit_code
from gradscope.config import FailOn, RunConfig
from gradscope.data.notes import NoteCode, Voice
from gradscope.data.records import Report, Severity, Verdict
from gradscope.diagnosis import RULES
from gradscope.doors.diagnose import run_diagnosis

MODEL_CHANGES = {"activation", "batchnorm", "residual", "init"}


def diagnosed(name: str, steps: int, *, verify: bool) -> Report:
    script = SCRIPTS / "stories" / name
    return run_diagnosis(RunConfig(script=script, steps=steps, device="cpu", verify=verify, budget=None))


@pytest.mark.slow
def test_adamw_at_a_rate_far_too_low_is_stalled_and_a_replay_confirms_it() -> None:
    report = diagnosed("gpt_lr_far_too_low.py", 20, verify=True)
    assert report.verdict is Verdict.STALLED
    finding = next(f for f in report.findings if f.verdict is Verdict.STALLED and f.withdrawn is None)
    assert finding.evidence["typical_update_ratio"] < 1e-3  # weights moving ~4e-5 of their size a step
    (rec,) = [r for r in report.recommendations if r.action == "learning_rate"]
    assert rec.verified is not None and rec.verified.improved
    assert rec.lr is not None and rec.lr > 1e-6
    assert rec.verified.loss_after < 0.95 * rec.verified.loss_before  # clearly lower, not a nudge


@pytest.mark.slow
@pytest.mark.parametrize("steps", [10, 20, 30, 40])
def test_a_lora_fine_tune_at_the_trainers_default_rate_is_stalled_at_every_length(steps: int) -> None:
    report = diagnosed("lora_lr_low.py", steps, verify=True)
    assert report.verdict is Verdict.STALLED
    # The loss does not move beyond its batches' noise at any length...
    finding = next(f for f in report.findings if f.verdict is Verdict.STALLED and f.withdrawn is None)
    assert abs(finding.evidence["loss_fall"]) < 2 * finding.evidence["loss_scatter"]
    # ...and a replay at a larger rate in AdamW's usable range proves it.
    (rec,) = [r for r in report.recommendations if r.action == "learning_rate"]
    assert rec.verified is not None and rec.verified.improved
    assert rec.lr is not None and 5e-5 < rec.lr <= 0.1
    assert rec.verified.loss_after < 0.9 * rec.verified.loss_before


@pytest.mark.slow
@pytest.mark.parametrize("steps", [10, 20, 30, 40])
def test_a_fade_after_overshooting_steps_is_the_learning_rates(steps: int) -> None:
    report = diagnosed("tanh_policy_lr_high.py", steps, verify=False)
    assert report.verdict is Verdict.UNSTABLE
    assert report.recommendations[0].action == "learning_rate"
    assert not {r.action for r in report.recommendations} & MODEL_CHANGES


@pytest.mark.slow
@pytest.mark.parametrize("steps", [10, 20, 30, 40])
def test_a_lora_fine_tune_at_a_rate_far_too_high_gets_one_verdict_at_every_length(steps: int) -> None:
    report = diagnosed("lora_lr_high.py", steps, verify=False)
    assert report.verdict is Verdict.UNSTABLE
    # LoRA's B starts at zero: neither its ratio nor A's gradient through it is a layer problem.
    assert {s.value for s in report.statuses} <= {"healthy", "frozen"}
    assert report.recommendations[0].action == "learning_rate"


def test_without_a_replay_a_flat_adaptive_run_says_its_finding_is_unverified() -> None:
    rule = next(r for r in RULES if r.remedy is not None and r.remedy.needs_replay)
    record = rule.fires[0].build()
    report = assemble(record, Source(voice=Voice(door="watch")))
    assert report.verdict is Verdict.STALLED
    (note,) = [n for n in report.notes if n.code is NoteCode.FINDING_UNVERIFIED]
    assert note.fields["finding"] == f"{rule.code} {rule.name}"
    assert "not verified" in note.text(report.voice)
    # It states its verdict, as a warning: without a replay it does not fail a CI run.
    (finding,) = [f for f in report.findings if f.code == rule.code]
    assert finding.severity is Severity.WARNING
    assert exit_code(report, FailOn.ERROR) == 0 and exit_code(report, FailOn.WARNING) == 1
