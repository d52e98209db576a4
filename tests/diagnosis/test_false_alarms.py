"""Healthy models that look unusual (a bias-free bag of words, a policy head initialised small)
raise no alarm: the rules' yardsticks hold for them."""

from __future__ import annotations

from pathlib import Path

from harness import SMALL_BATCH, write_script

from gradscope.config import RunConfig
from gradscope.data.records import LayerStatus, Verdict
from gradscope.doors.diagnose import run_diagnosis


def script(tmp_path: Path, body: str) -> Path:
    return write_script(tmp_path, body, "m.py", header=SMALL_BATCH)


def test_bag_of_words_without_bias_is_not_dead(tmp_path: Path) -> None:
    body = """
        g = torch.Generator().manual_seed(0)
        idx = torch.randint(0, 2000, (1024, 6), generator=g)
        BOW = torch.zeros(1024, 2000).scatter_(1, idx, 1.0)
        LAB = (idx % 3 == 0).any(1).long()
        model = nn.Sequential(nn.Linear(2000, 64, bias=False), nn.ReLU(), nn.Linear(64, 2))
        data = list(zip(BOW.split(32), LAB.split(32)))
    """
    report = run_diagnosis(RunConfig(script=script(tmp_path, body), device="cpu", verify=False))
    assert report.verdict is Verdict.HEALTHY
    assert LayerStatus.DEAD not in report.statuses


def test_small_initialised_policy_head_is_no_vanishing_yardstick(tmp_path: Path) -> None:
    body = """
        g = torch.Generator().manual_seed(0)
        XS = torch.randn(2048, 16, generator=g); YS = XS[:, :4].argmax(1)
        def layer(i, o, gain):
            lin = nn.Linear(i, o); nn.init.orthogonal_(lin.weight, gain); nn.init.zeros_(lin.bias); return lin
        model = nn.Sequential(layer(16, 64, 2**0.5), nn.Tanh(), layer(64, 64, 2**0.5), nn.Tanh(), layer(64, 4, 0.01))
        data = list(zip(XS.split(64), YS.split(64)))
        def optimizer(params):
            return torch.optim.Adam(params, lr=2.5e-4, eps=1e-5)
    """
    report = run_diagnosis(RunConfig(script=script(tmp_path, body), device="cpu", verify=False))
    assert report.verdict is Verdict.HEALTHY
