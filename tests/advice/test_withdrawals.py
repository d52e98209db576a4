"""A replay withdraws a finding only when it shows the finding wrong: a replay too short to help is no proof."""

from __future__ import annotations

from pathlib import Path

from harness import SMALL_BATCH, write_script

from gradscope.config import RunConfig
from gradscope.data.records import Verdict
from gradscope.doors.diagnose import run_diagnosis


def test_starved_learning_rate_stays_stalled_when_no_short_replay_helps(tmp_path: Path) -> None:
    body = """
        g = torch.Generator().manual_seed(0)
        XS = torch.randn(2048, 32, generator=g); YS = ((XS[:, :4] ** 2).sum(1) > 4).long()
        data = list(zip(XS.split(64), YS.split(64)))
        model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
        def optimizer(params):
            return torch.optim.SGD(params, lr=1e-5)
    """
    path = write_script(tmp_path, body, "m.py", header=SMALL_BATCH)
    report = run_diagnosis(RunConfig(script=path, device="cpu", budget=None))
    assert report.verdict is Verdict.STALLED
