"""Precision: updates lost to bf16 rounding and a collapsing fp16 GradScaler, end to end
through `gradscope diagnose` (issue 24's done-when cases), and the lost-update count itself."""

from __future__ import annotations

import json
from pathlib import Path

import harness
import pytest
import torch
from harness import write_script
from torch import nn

from gradscope.config import RunConfig
from gradscope.data.codec import from_dict, to_dict
from gradscope.data.records import Report, Verdict
from gradscope.doors.diagnose import run_diagnosis
from gradscope.doors.precision import Mode
from gradscope.errors import UsageError
from gradscope.recording.recorder import Recorder

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "precision"
pytest.importorskip("transformers")


def diagnose(script: Path, steps: int, verify: bool = True, precision: str | None = None) -> Report:
    return run_diagnosis(
        RunConfig(script=script, steps=steps, budget=None, device="cpu", verify=verify, precision=precision)
    )


def gpt2(tmp_path: Path, dtype: str) -> Path:
    text = (SCRIPTS / "gpt2_lm.py").read_text().replace("DTYPE, LR = torch.bfloat16", f"DTYPE, LR = torch.{dtype}")
    path = tmp_path / f"gpt2_{dtype}.py"
    path.write_text(text)
    return path


def test_gpt2_bf16_at_adamw_1e5_is_precision_with_a_verified_master_weights_fix(tmp_path: Path) -> None:
    report = diagnose(gpt2(tmp_path, "bfloat16"), steps=15)
    assert report.verdict is Verdict.PRECISION
    finding = next(f for f in report.findings if f.code == "GS204")
    assert finding.withdrawn is None and finding.severity.value == "error"
    assert float(finding.evidence["lost_share"]) > 0.5  # type: ignore[arg-type]
    assert "transformer.h.0.attn.c_attn" in finding.layers
    actions = [r.action for r in report.recommendations]
    assert "learning_rate" not in actions
    fix = next(r for r in report.recommendations if r.action == "precision")
    assert fix.numbers["precision"] == "bf16-mixed"
    assert fix.verified is not None and fix.verified.improved
    assert fix.verified.loss_after < fix.verified.loss_before
    assert "stochastic rounding" in fix.how  # the ways that keep bf16 weights, named unverified


def test_gpt2_float32_is_healthy_with_no_precision_finding(tmp_path: Path) -> None:
    report = diagnose(gpt2(tmp_path, "float32"), steps=15, verify=False)
    assert report.verdict is Verdict.HEALTHY
    assert not [f for f in report.findings if f.code in ("GS204", "GS205")]
    assert all(not s.lost_frac for s in report.record.steps)  # float32 pays nothing


def test_small_bf16_model_at_adam_3e3_has_no_precision_finding() -> None:
    report = diagnose(SCRIPTS / "small_bf16.py", steps=10, verify=False)
    assert not [f for f in report.findings if f.code == "GS204"]
    assert report.verdict is Verdict.HEALTHY
    assert report.record.steps[0].lost_frac  # measured, and found small


def test_fp16_mixed_overflow_skips_every_step_and_bf16_is_the_verified_fix() -> None:
    report = diagnose(SCRIPTS / "fp16_overflow.py", steps=8)
    run = report.record.run
    assert run.precision == "16-mixed"
    assert run.skipped_steps == 8 and run.scaler_iterations == 8
    assert run.loss_scales[0] == 65536.0 and run.loss_scales[-1] < run.loss_scales[0]
    assert report.verdict is Verdict.PRECISION
    fix = next(r for r in report.recommendations if r.action == "precision")
    assert fix.numbers["precision"] == "bf16-mixed"
    assert fix.verified is not None and fix.verified.improved
    again = from_dict(to_dict(report))
    assert again.record.run.loss_scales == run.loss_scales
    assert again.verdict is Verdict.PRECISION


def test_the_precision_option_overrides_the_script() -> None:
    report = diagnose(SCRIPTS / "fp16_overflow.py", steps=4, verify=False, precision="32-true")
    assert report.record.run.precision == "32-true"
    assert not report.record.run.loss_scales
    assert report.verdict is not Verdict.PRECISION


def test_unknown_precision_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        Mode.of("bf16")


def test_lost_count_is_exact_on_a_hand_made_step() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(4, 4).to(torch.bfloat16)
    with torch.no_grad():
        layer.weight.fill_(1.0)  # spacing 2^-7 above 1.0: a 1e-3 step up is lost, one down lands
        layer.bias.zero_()
    opt = torch.optim.SGD(layer.parameters(), lr=1.0)
    recorder = Recorder(layer, opt)
    recorder.start()
    layer.weight.grad = torch.full((4, 4), -1e-3, dtype=torch.bfloat16)
    layer.weight.grad[0] = 0.0  # no gradient: not counted
    layer.bias.grad = torch.full((4,), 1e-3, dtype=torch.bfloat16)  # from zero: always lands
    opt.step()
    recorder.stop()
    step = recorder.record().steps[0]
    assert step.lost_frac == (pytest.approx(12 / 16),)  # 12 weight entries lost of 12 + 4 bias entries
    assert step.update_spacings[0] > 1.0


def test_watch_with_a_scaler_records_the_scale() -> None:
    model = nn.Linear(8, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    recorder = Recorder(model, opt, scaler=scaler)
    recorder.start()
    for i in range(6):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.float16):
            scale = 1e6 if i < 3 else 1.0  # three overflowing steps, then ordinary ones
            loss = model(torch.randn(4, 8) * scale).float().pow(2).mean() * scale
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    recorder.stop()
    run = recorder.record().run
    assert run.skipped_steps == 3 and run.scaler_iterations == 6
    assert run.loss_scales[0] == 65536.0 and min(run.loss_scales) == 8192.0


def test_gradscope_run_on_a_float16_script_whose_scaler_skips_every_step_is_precision(tmp_path: Path) -> None:
    # Every scaler.step() is skipped (the forward overflows float16): the script did step, through
    # its GradScaler, so this is a precision finding, not "never called its step()".
    script = write_script(
        tmp_path,
        """
        import torch
        from torch import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        scaler = torch.amp.GradScaler("cpu")
        x, y = torch.randn(32, 16) * 40000.0, torch.randint(0, 4, (32,))
        for step in range(30):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        """,
        name="train.py",
    )
    out = tmp_path / "run.json"
    result = harness.gradscope("run", "--steps", "10", "--json", out, script, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads(out.read_text())
    assert data["verdict"] == "precision"
    scales = data["run"]["loss_scales"]
    assert data["run"]["skipped_steps"] >= 9 and scales[-1] <= scales[0] / 2**8  # halved at every skip
