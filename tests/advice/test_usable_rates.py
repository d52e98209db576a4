"""Learning rates in a usable range (issue 23, story 5), replayed for real through `diagnose`.

A deep ReLU net that explodes from its init got `SGD(lr=2e-18)` "verified" because a step that
small holds the loss where it starts; a regression on unscaled inputs got a rate like it. No
rate outside the range the optimizer is used at may be offered, a replayed rate must make the
loss fall, and where no usable rate cures the run the report says the cause lies elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import write_script

from gradscope.advice.candidates import SGD_LIKE
from gradscope.config import RunConfig
from gradscope.data.notes import NoteCode
from gradscope.data.records import Report
from gradscope.doors.diagnose import run_diagnosis

# 8 x [Linear(64), ReLU] + Linear(4) with nn.init.normal_ (std 1, not ~sqrt(2/fan_in)): every layer
# multiplies the signal by ~5.7, the first step's gradients are ~1e19 and SGD turns them into NaN.
DEEP_RELU = """
import torch
from torch import nn
torch.manual_seed(0)
_teacher = nn.Linear(32, 4)
def _batch():
    x = torch.randn(64, 32)
    with torch.no_grad():
        y = _teacher(x).argmax(dim=1)
    return x, y
layers, width = [], 32
for _ in range(8):
    layers += [nn.Linear(width, 64), nn.ReLU()]
    width = 64
model = nn.Sequential(*layers, nn.Linear(64, 4))
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight)
data = [_batch() for _ in range(8)]
def optimizer(params):
    return torch.optim.SGD(params, lr=1e-3)
"""

# A regression whose inputs are ~2000 +- 1000 (never standardised), under SGD at 0.01.
UNSCALED = """
import torch
from torch import nn
torch.manual_seed(0)
X = torch.randn(512, 8) * 1000.0 + 2000.0
Y = (X / 1000.0) @ torch.randn(8, 1)
data = list(zip(X.split(64), Y.split(64)))
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
def loss(output, target):
    return nn.functional.mse_loss(output, target)
def optimizer(params):
    return torch.optim.SGD(params, lr=0.01)
"""


def _diagnosed(tmp_path: Path, body: str, steps: int) -> Report:
    path = write_script(tmp_path, body, "m.py")
    return run_diagnosis(RunConfig(script=path, device="cpu", steps=steps, budget=None, seed=0))


@pytest.mark.parametrize("steps", [10, 20])
@pytest.mark.parametrize("body", [DEEP_RELU, UNSCALED], ids=["deep_relu_normal_init", "unscaled_regression"])
def test_no_unusable_learning_rate_is_recommended(tmp_path: Path, body: str, steps: int) -> None:
    report = _diagnosed(tmp_path, body, steps)
    for rec in report.recommendations:
        if rec.action == "learning_rate":
            assert rec.lr is not None and SGD_LIKE.holds(rec.lr), rec.code
            assert rec.verified is not None and rec.verified.curve_after[-1] < rec.verified.curve_after[0]
    # The init fix (or a clip) is what the report offers; the learning rate is said to be no cure.
    elsewhere = [n for n in report.notes if n.code is NoteCode.LR_ELSEWHERE]
    assert elsewhere, report.said()
    said = elsewhere[0].text(report.voice)
    assert "the cause lies elsewhere" in said and "SGD is used at (1e-06 to 10" in said
