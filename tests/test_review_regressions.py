"""Defects found by an independent review, each pinned by a test that failed before its fix."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import gradscope
from gradscope.cli import app
from gradscope.config import RunConfig
from gradscope.data.records import LayerStatus, Verdict
from gradscope.doors.diagnose import run_diagnosis

HEADER = (
    "import torch\nfrom torch import nn\ntorch.manual_seed(0)\nX = torch.randn(64, 8); Y = torch.randint(0, 3, (64,))\n"
)


def script(tmp_path: Path, body: str, name: str = "m.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("gradscope: error:")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize(
    "body",
    [
        "model = nn.Linear(8, 3); data = [(X, Y)]\nimport sys\ndef loss(o, t):\n    sys.exit(0)\n",
        "import sys\ndef model():\n    sys.exit('no gpu')\ndata = [(X, Y)]\n",
        "model = nn.Linear(8, 3); data = [(X, Y)]\nimport sys\ndef optimizer(p):\n    sys.exit(1)\n",
    ],
    ids=["loss", "model", "optimizer"],
)
def test_sys_exit_inside_user_code_is_a_script_error(tmp_path: Path, body: str) -> None:
    code, out = cli("diagnose", str(script(tmp_path, body)), "--steps", "3", "--no-verify")
    assert code == 3
    assert "sys.exit" in one_error_line(out)


def test_zero_grad_that_raises_is_a_script_error(tmp_path: Path) -> None:
    body = """
        model = nn.Linear(8, 3); data = [(X, Y)]
        class O(torch.optim.SGD):
            def zero_grad(self, set_to_none=True):
                raise ValueError("boom zg")
        def optimizer(p):
            return O(p, lr=0.1)
    """
    code, out = cli("diagnose", str(script(tmp_path, body)), "--steps", "3", "--no-verify")
    assert code == 3
    assert "zero_grad" in one_error_line(out)


def test_optimizer_holding_none_of_the_model_is_a_script_error(tmp_path: Path) -> None:
    body = (
        "model = nn.Linear(8, 3); data = [(X, Y)]\n"
        "def optimizer(p):\n    return torch.optim.SGD([nn.Parameter(torch.zeros(3))], lr=0.1)\n"
    )
    code, out = cli("diagnose", str(script(tmp_path, body)), "--steps", "3", "--no-verify")
    assert code == 3
    assert "holds none" in one_error_line(out)


def test_empty_batch_is_a_script_error(tmp_path: Path) -> None:
    code, out = cli(
        "diagnose", str(script(tmp_path, "model = nn.Linear(8, 3); data = [(X[:0], Y[:0])]\n")), "--no-verify"
    )
    assert code == 3
    assert "0 samples" in one_error_line(out)


def test_output_over_the_script_is_refused(tmp_path: Path) -> None:
    path = script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n")
    before = path.read_bytes()
    code, out = cli("diagnose", str(path), "--json", str(path), "--no-verify")
    assert code == 2
    assert "also the input" in one_error_line(out)
    assert path.read_bytes() == before


def test_script_that_changes_directory_does_not_move_the_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = script(tmp_path, "import os\nos.chdir('/')\nmodel = nn.Linear(8, 3); data = [(X, Y)]\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _ = cli("diagnose", str(path), "--json", "rel.json", "--steps", "3", "--no-verify", "--fail-on", "never")
    assert code == 0
    assert (work / "rel.json").is_file()
    assert Path.cwd() == work


def test_reports_are_written_with_the_umask_not_0600(tmp_path: Path) -> None:
    path = script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n")
    old = os.umask(0o022)
    try:
        code, _ = cli("diagnose", str(path), "--json", str(tmp_path / "r.json"), "--steps", "3", "--no-verify")
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644


@pytest.mark.parametrize("change", [{"run": []}, {"run": {"script": 5}}, {"recommendations": ["x"]}])
def test_render_of_an_almost_report_is_one_line_exit_2(tmp_path: Path, change: dict[str, object]) -> None:
    path = script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n")
    good = tmp_path / "r.json"
    assert cli("diagnose", str(path), "--json", str(good), "--steps", "3", "--no-verify")[0] == 0
    data = json.loads(good.read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, out = cli("render", str(bad))
    assert code == 2
    one_error_line(out)


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


def test_starved_learning_rate_stays_stalled_when_no_short_replay_helps(tmp_path: Path) -> None:
    body = """
        g = torch.Generator().manual_seed(0)
        XS = torch.randn(2048, 32, generator=g); YS = ((XS[:, :4] ** 2).sum(1) > 4).long()
        data = list(zip(XS.split(64), YS.split(64)))
        model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
        def optimizer(params):
            return torch.optim.SGD(params, lr=1e-5)
    """
    report = run_diagnosis(RunConfig(script=script(tmp_path, body), device="cpu", budget=None))
    assert report.verdict is Verdict.STALLED


def test_watch_of_a_model_without_parameters_to_train_does_not_crash() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    for p in model.parameters():
        p.requires_grad_(False)
    extra = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([extra], lr=0.1)
    with gradscope.watch(model, opt) as w:
        (model(torch.randn(4, 3)).sum() + extra.sum()).backward()
        opt.step()
    assert w.report().verdict is Verdict.HEALTHY


def test_a_watch_that_saw_no_step_says_so() -> None:
    model = nn.Linear(3, 2)
    with gradscope.watch(model, torch.optim.SGD(model.parameters(), lr=0.1)) as w:
        pass
    assert any("no optimizer step" in n for n in w.report().notes)


def test_a_thread_left_running_by_the_script_does_not_hang_the_cli(tmp_path: Path) -> None:
    body = (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\n"
        "model = nn.Linear(8, 3); data = [(X, Y)]\n"
    )
    path = script(tmp_path, body)
    done = subprocess.run(
        [sys.executable, "-m", "gradscope", "diagnose", str(path), "--steps", "2", "--no-verify", "-q"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("verdict:")
