"""The time budget's plan, and Ctrl-C / SIGTERM that keep what was measured."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from harness import ROOT, SCRIPTS
from typer.testing import CliRunner

from gradscope.advice.budget import Clock, OutOfTime
from gradscope.cli import app
from gradscope.config import RunConfig
from gradscope.data.notes import NoteCode, Voice
from gradscope.data.records import Verdict
from gradscope.doors.diagnose import run_diagnosis

SLOW = SCRIPTS / "slow_steps.py"
TINY = SCRIPTS / "tiny_mlp.py"
LR_TOO_HIGH = ROOT / "sample_models" / "lr_too_high.py"


def clock_at(budget: float | None, elapsed: float) -> Clock:
    return Clock(budget, started=time.perf_counter() - elapsed)


def test_a_slow_model_measures_what_fits_and_says_what_it_cost() -> None:
    plan = clock_at(90, 5).make_plan(step_s=5.0, done=2, fixed=None, wanted=20, need=4)
    assert 4 <= plan.steps < 20
    # Measuring takes at most about half of what is left; replays get the rest.
    assert (plan.steps - 2) * 5.0 <= 0.5 * 85 + 5.0
    note = plan.shortfall()
    assert note is not None and (note.fields["steps"], note.fields["wanted"]) == (plan.steps, 20)
    assert f"{plan.steps} of 20" in note.text(Voice(door="diagnose"))
    assert f"{plan.steps} steps measured (of 20 wanted)" in plan.line()


def test_a_fast_model_measures_every_wanted_step_and_plans_replays() -> None:
    plan = clock_at(90, 1).make_plan(step_s=0.01, done=2, fixed=None, wanted=20, need=4)
    assert plan.steps == 20
    assert plan.shortfall() is None
    assert plan.replays is not None and plan.replays > 100
    assert plan.line().startswith("up to about ")


def test_a_fast_model_is_not_promised_the_whole_budget() -> None:
    # 0.01 s steps leave time for thousands of replays; verification never asks for more than
    # MOST_REPLAYS, so the estimate is what those cost, not the 90 s budget.
    plan = clock_at(90, 1).make_plan(step_s=0.01, done=2, fixed=None, wanted=20, need=4, most_replays=20)
    assert plan.replays == 20
    assert plan.line().startswith("up to about 5 s: 20 steps measured, up to 20 replay(s) of 20 steps")


def test_explicit_steps_are_kept_however_slow() -> None:
    plan = clock_at(30, 5).make_plan(step_s=10.0, done=2, fixed=40, wanted=40, need=4)
    assert plan.steps == 40
    assert plan.replays == 0
    assert "no time left for replays" in plan.line()


def test_never_fewer_steps_than_the_rules_need_while_the_budget_can_pay() -> None:
    plan = clock_at(25, 9).make_plan(step_s=5.0, done=2, fixed=None, wanted=20, need=4)
    assert plan.steps == 4  # half of the 16 s left buys 3 steps; the rules need 4, and 4 fit
    plan = clock_at(90, 30).make_plan(step_s=28.0, done=1, fixed=None, wanted=20, need=4)
    assert plan.steps == 2  # 3 more 28 s steps do not fit in 60 s: the budget wins, the note says so
    assert plan.shortfall() is not None


def test_laps_time_each_step_and_their_median_is_the_step_time() -> None:
    clock = Clock(None)
    clock.start_laps()
    laps = [clock.lap() for _ in range(3)]
    assert all(lap >= 0 for lap in laps)
    assert clock.step_s() == sorted(laps)[1]


def test_no_budget_plans_nothing_away() -> None:
    plan = clock_at(None, 100).make_plan(step_s=50.0, done=2, fixed=None, wanted=20, need=4)
    assert (plan.steps, plan.replays, plan.shortfall()) == (20, None, None)


def test_afford_refuses_steps_past_the_deadline() -> None:
    clock = clock_at(10, 9)
    clock.make_plan(step_s=2.0, done=2, fixed=None, wanted=20, need=4)  # no lap yet: the plan's step time
    with pytest.raises(OutOfTime):
        clock.afford(1)
    clock_at(None, 1e6).afford(10**6)  # no budget: anything fits


def test_plan_line_shows_and_quiet_hides_it() -> None:
    runner = CliRunner()
    loud = runner.invoke(app, ["diagnose", str(TINY), "--fail-on", "never", "--no-verify"])
    assert loud.exit_code == 0, loud.output
    assert "gradscope: up to about " in loud.output and "steps measured" in loud.output
    quiet = runner.invoke(app, ["diagnose", str(TINY), "--fail-on", "never", "--no-verify", "--quiet"])
    assert quiet.exit_code == 0
    assert "steps measured" not in quiet.output


def test_verification_that_does_not_fit_is_said_not_faked(tmp_path: Path) -> None:
    # Measuring alone (10 steps of at least 0.15 s) overruns a 1 s budget: no replay may start.
    script = tmp_path / "slow_lr.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            import runpy
            ns = runpy.run_path({str(LR_TOO_HIGH)!r})
            model, data, optimizer = ns["model"], ns["data"], ns.get("optimizer")

            def compute_loss(model, batch):
                time.sleep(0.15)
                x, y = batch
                return __import__("torch").nn.functional.cross_entropy(model(x), y)
            """
        )
    )
    report = run_diagnosis(RunConfig(script=script, steps=10, budget=1.0, device="cpu"))
    assert report.verdict is Verdict.UNSTABLE
    assert report.recommendations, "the learning-rate finding still gets its (unverified) number"
    assert all(r.verified is None for r in report.recommendations)
    assert any(n.code is NoteCode.BUDGET_OUT for n in report.notes)
    assert not report.record.run.partial


def _stop_self_at(phase_prefix: str, after: int):  # type: ignore[no-untyped-def]
    """A progress callback that sends this process SIGINT once `phase_prefix` reaches `after` steps."""
    sent: list[bool] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase.startswith(phase_prefix) and done >= after and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    return progress


def test_sigint_while_measuring_judges_the_steps_so_far() -> None:
    config = RunConfig(script=TINY, steps=30, device="cpu", budget=None, verify=False)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    report = run_diagnosis(config, progress=_stop_self_at("measuring", 5))
    run = report.record.run
    assert run.partial and run.cut is not None and run.cut.startswith("measuring")
    assert run.steps == len(report.record.steps) == 5
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # handlers put back


def test_sigint_while_verifying_keeps_the_verdict_and_leaves_numbers_unverified() -> None:
    config = RunConfig(script=LR_TOO_HIGH, device="cpu", budget=None)
    report = run_diagnosis(config, progress=_stop_self_at("verifying", 2))
    run = report.record.run
    assert run.partial and run.cut == "verifying"
    assert run.steps == 20  # the measured run was complete
    assert report.verdict is Verdict.UNSTABLE
    assert all(r.verified is None for r in report.recommendations)
    (note,) = [n for n in report.notes if n.code is NoteCode.NUMBERS_UNVERIFIED]
    assert note.fields == {"why": "stopped", "by": "SIGINT"}
    assert "SIGINT stopped the run" in note.text(report.voice)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_exits_130_with_a_partial_json(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "run.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradscope", "diagnose", str(SLOW), "--steps", "200", "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    # The plan line comes once two steps are timed: the run is under way.
    line = proc.stderr.readline()
    assert "steps measured" in line, line
    proc.send_signal(sig)
    started = time.monotonic()
    stdout, stderr = proc.communicate(timeout=60)
    waited = time.monotonic() - started
    assert proc.returncode == 130, stderr
    assert waited < 30, f"took {waited:.0f} s to stop"
    data = json.loads(out.read_text())
    assert data["run"]["partial"] is True
    assert data["run"]["cut"].startswith("measuring")
    assert 2 <= len(data["steps"]) < 200
    assert data["run"]["steps"] == len(data["steps"])
    assert "partial: stopped while measuring" in stdout
    assert "Traceback" not in stderr


def test_a_second_signal_quits_at_once_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradscope", "diagnose", str(SLOW), "--steps", "200", "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SLOW_STEP_S": "1.5"},  # the first stop waits for the step's end
    )
    assert proc.stderr is not None
    assert "steps measured" in proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)  # two signals before Python runs its handler count as one
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted again" in stderr
    assert not out.exists()
