"""Optimizers whose learning rate is not a number, through every door (issue 23, story 4).

transformers' Adafactor(lr=None, relative_step=True), the T5 recipe, ended every diagnosis in
an internal error (`float()` of None). It, a schedule-free optimizer and the learning-rate-free
ones (Prodigy, D-Adaptation) must be diagnosed and watched without error, the JSON must stay
strict and read back, and the learning-rate advice must speak of the optimizer's own knob,
verified by a replay where `diagnose` can replay. transformers is a dev dependency; the other
optimizers' packages are optional, so their tests skip without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from harness import invoke, write_script
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.config import RunConfig
from gradscope.data.codec import from_dict
from gradscope.data.notes import NoteCode
from gradscope.data.rates import RateKind
from gradscope.data.records import Report, Verdict
from gradscope.doors.diagnose import run_diagnosis
from gradscope.render.json import dumps, load

# A small classifier on a teacher's labels that trains well under any sensible optimizer.
TEACHER = """
import torch
from torch import nn
torch.manual_seed(0)
_teacher = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
def _batch():
    x = torch.randn(128, 16)
    with torch.no_grad():
        y = _teacher(x).argmax(dim=1)
    return x, y
model = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 4))
data = [_batch() for _ in range(8)]
"""
T5_RECIPE = "Adafactor(params, lr=None, relative_step=True, scale_parameter=True, warmup_init=False)"


def _strict(text: str) -> Any:
    """JSON as a strict parser reads it: NaN or Infinity as bare tokens are an error."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _script(tmp_path: Path, imports: str, make: str, name: str = "m.py") -> Path:
    return write_script(tmp_path, f"{imports}\ndef optimizer(params):\n    return {make}\n", name, header=TEACHER)


def _diagnosed(path: Path, steps: int = 20) -> Report:
    return run_diagnosis(RunConfig(script=path, device="cpu", steps=steps, budget=None, seed=0))


def _watched(make: Any, steps: int = 20, train_mode: bool = False) -> Report:
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
    model = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 4))
    opt = make(model.parameters())
    if train_mode:
        opt.train()  # a schedule-free optimizer steps only in train mode, as its users know
    with gradscope.watch(model, opt) as w:
        for _ in range(steps):
            x = torch.randn(64, 16)
            y = teacher(x).argmax(1).detach()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    return w.report()


def _round_trip(report: Report) -> Report:
    again = from_dict(_strict(dumps(report)))
    assert again.verdict is report.verdict and again.record.run.lr_kind is report.record.run.lr_kind
    return again


def test_the_t5_recipe_is_diagnosed_healthy_with_strict_json(tmp_path: Path) -> None:
    path = _script(tmp_path, "from transformers.optimization import Adafactor", T5_RECIPE)
    out = tmp_path / "report.json"
    result = invoke("diagnose", path, "--steps", 20, "--seed", 0, "--json", out)
    assert result.exit_code == 0, result.output
    assert "Adafactor relative step 0.01 (lr=None)" in result.output
    data = _strict(out.read_text())
    assert data["run"]["lr_kind"] == "relative" and data["run"]["lr"] == [0.01]
    report = load(out)
    assert report.verdict is Verdict.HEALTHY and report.record.run.lr_kind is RateKind.RELATIVE


def test_the_t5_recipe_is_watched_healthy() -> None:
    from transformers.optimization import Adafactor

    report = _watched(lambda p: Adafactor(p, lr=None, relative_step=True, scale_parameter=True, warmup_init=False))
    assert report.verdict is Verdict.HEALTHY
    assert all(s.lr == (pytest.approx(1e-2),) for s in report.record.steps)
    _round_trip(report)


def test_adafactor_warmup_init_on_a_flat_model_is_stalled_and_reads_back(tmp_path: Path) -> None:
    # warmup_init: a relative step of 1e-6 x step, so the loss hardly moves in 20 steps: a
    # warm-up still crawling at its end is a rate too low (GS303), and its own knob is advised.
    make = "Adafactor(params, lr=None, relative_step=True, scale_parameter=True, warmup_init=True)"
    path = _script(tmp_path, "from transformers.optimization import Adafactor", make)
    report = _diagnosed(path)
    assert report.record.run.lr_kind is RateKind.RELATIVE_WARMUP
    assert report.record.steps[-1].lr == (pytest.approx(2e-5),)  # 1e-6 x 20
    assert report.verdict is Verdict.STALLED
    assert all("relative_step=False" in r.code for r in report.recommendations if r.action == "learning_rate")
    _round_trip(report)
    from transformers.optimization import Adafactor

    _round_trip(_watched(lambda p: Adafactor(p, lr=None, relative_step=True, warmup_init=True)))


def test_adafactor_relative_step_too_high_is_advised_through_its_own_knob(tmp_path: Path) -> None:
    # Without scale_parameter the relative step is an absolute 1e-2 per weight: far too much for
    # weights of ~0.03 in 1024-wide layers. The advice: an explicit, lower lr, replayed.
    body = (
        "from transformers.optimization import Adafactor\n"
        "model = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 1024), nn.ReLU(),\n"
        "                      nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 4))\n"
        "def optimizer(params):\n"
        "    return Adafactor(params, lr=None, relative_step=True, scale_parameter=False, warmup_init=False)\n"
    )
    report = _diagnosed(write_script(tmp_path, body, "m.py", header=TEACHER))
    [rec] = [r for r in report.recommendations if r.action == "learning_rate"]
    assert rec.verified is not None and rec.verified.improved  # replayed with the explicit rate
    assert rec.lr is not None and rec.lr < 1e-2
    assert "relative_step=False, warmup_init=False, scale_parameter=False" in rec.code
    _round_trip(report)


def test_prodigy_is_diagnosed_and_watched() -> None:
    prodigyopt = pytest.importorskip("prodigyopt")
    report = _watched(lambda p: prodigyopt.Prodigy(p, lr=1.0))
    assert report.record.run.lr_kind is RateKind.MULTIPLIER
    _round_trip(report)


def test_prodigy_through_diagnose(tmp_path: Path) -> None:
    pytest.importorskip("prodigyopt")
    report = _diagnosed(_script(tmp_path, "from prodigyopt import Prodigy", "Prodigy(params, lr=1.0)"))
    assert report.record.run.lr_kind is RateKind.MULTIPLIER
    for rec in report.recommendations:
        if rec.action == "learning_rate":
            assert rec.code.startswith("Prodigy(") and rec.lr is not None and 0.1 <= rec.lr <= 10
    _round_trip(report)


def test_dadaptation_lr_advice_scales_its_multiplier(tmp_path: Path) -> None:
    pytest.importorskip("dadaptation")
    report = _diagnosed(_script(tmp_path, "import dadaptation", "dadaptation.DAdaptAdam(params, lr=1.0)"))
    assert report.record.run.lr_kind is RateKind.MULTIPLIER
    for rec in report.recommendations:
        if rec.action == "learning_rate":
            assert rec.code.startswith("DAdaptAdam(model.parameters(), lr=") and "d_coef" in rec.how
            assert rec.lr is not None and 0.1 <= rec.lr <= 10
    _round_trip(report)


def test_schedule_free_is_watched_and_diagnosed() -> None:
    schedulefree = pytest.importorskip("schedulefree")
    report = _watched(lambda p: schedulefree.AdamWScheduleFree(p, lr=2.5e-3), train_mode=True)
    assert report.record.run.lr == (2.5e-3,)
    _round_trip(report)


def test_schedule_free_through_diagnose(tmp_path: Path) -> None:
    pytest.importorskip("schedulefree")
    # The script puts its optimizer in train mode itself (gradscope's session does not call
    # optimizer.train() yet: see the note in this report).
    body = "import schedulefree\ndef optimizer(params):\n    opt = schedulefree.AdamWScheduleFree(params, lr=2.5e-3)\n"
    body += "    opt.train()\n    return opt\n"
    report = _diagnosed(write_script(tmp_path, body, "m.py", header=TEACHER))
    assert report.verdict is Verdict.HEALTHY
    _round_trip(report)


SIGN_STEP = """
class SignStep(torch.optim.Optimizer):
    # Sign descent that keeps its step in `step_size` and no number in `lr`; 0.05 is far too much.
    def __init__(self, params, step_size=0.05):
        super().__init__(params, {"lr": None, "step_size": step_size})
    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad.sign(), alpha=-group["step_size"])
def optimizer(params):
    return SignStep(params)
"""


def test_an_lr_that_is_not_a_number_is_noted_and_its_finding_stands(tmp_path: Path) -> None:
    report = _diagnosed(write_script(tmp_path, SIGN_STEP, "m.py", header=TEACHER))
    assert report.record.run.lr_kind is RateKind.NONE
    # Its learning rate cannot be scaled or replayed: no number, a note, and the finding is not
    # withdrawn for want of a replay that never ran.
    assert report.verdict is Verdict.UNSTABLE
    assert not [r for r in report.recommendations if r.action == "learning_rate"]
    assert any(n.code is NoteCode.LR_NO_NUMBER for n in report.notes)
    data = _strict(dumps(report))
    assert data["run"]["lr"] == ["NaN"] and data["run"]["lr_kind"] == "none"
    _round_trip(report)
