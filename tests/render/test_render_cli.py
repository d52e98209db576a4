"""`gradscope render` end to end in a subprocess: no torch needed, bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from harness import ROOT, SMALL_BATCH, error_line, invoke, write_script
from render_helpers import exploding_report, vanishing_report

from gradscope.render import json as report_json
from gradscope.render.plots import PLOTS

TORCH_BLOCKER = """\
import os
open(os.environ["TORCH_IMPORT_MARKER"], "w").close()
raise ImportError("torch is blocked in this test: gradscope render must not import it")
"""


def _gradscope(args: list[str], tmp_path: Path, *, block_torch: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `python -m gradscope ARGS` with a torch that cannot be imported first on the path."""
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "TORCH_IMPORT_MARKER": str(tmp_path / "torch-imported"),
    }
    if block_torch:
        blocker = tmp_path / "blocker"
        (blocker / "torch").mkdir(parents=True, exist_ok=True)
        (blocker / "torch" / "__init__.py").write_text(TORCH_BLOCKER)
        env["PYTHONPATH"] = os.pathsep.join([str(blocker), str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "gradscope", *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_render_redraws_report_csv_and_plots_without_torch(tmp_path: Path) -> None:
    report = vanishing_report()
    report_json.write(report, tmp_path / "run.json")
    plots, csv = tmp_path / "plots", tmp_path / "run.csv"
    result = _gradscope(["render", str(tmp_path / "run.json"), "--plots", str(plots), "--csv", str(csv)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "torch-imported").exists(), "gradscope render tried to import torch"
    assert result.stdout.startswith("gradscope · sample_models/deep_sigmoid.py")
    assert "verdict: vanishing" in result.stdout
    assert "GS101 vanishing-gradient" in result.stdout
    assert "\x1b[" not in result.stdout
    assert sorted(p.name for p in plots.iterdir()) == sorted(plot.name for plot in PLOTS)
    frame = pd.read_csv(csv)
    assert len(frame) == 12 * 6 * 7 + 6 * 2


def test_render_quiet_prints_the_verdict_line_only(tmp_path: Path) -> None:
    report_json.write(exploding_report(), tmp_path / "run.json")
    result = _gradscope(["render", str(tmp_path / "run.json"), "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith("verdict: nonfinite")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps({"hello": "world"}), "is not a gradscope report"),
        ("this is not json at all", "is not a gradscope report"),
        (None, "no such file"),
    ],
    ids=["other-json", "not-json", "missing"],
)
def test_render_rejects_what_is_not_a_report_in_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "thing.json"
    if content is not None:
        path.write_text(content)
    result = _gradscope(["render", str(path), "--plots", str(tmp_path / "plots")], tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "plots").exists()


@pytest.mark.slow
def test_diagnose_a_sample_model_then_render_its_json(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    model = ROOT / "sample_models" / "deep_sigmoid.py"
    diagnosed = _gradscope(
        ["diagnose", str(model), "--steps", "6", "--no-verify", "--fail-on", "never", "--json", str(out)],
        tmp_path,
        block_torch=False,
    )
    assert diagnosed.returncode == 0, diagnosed.stderr
    verdict = json.loads(out.read_text())["verdict"]
    assert f"verdict: {verdict}" in diagnosed.stdout
    rendered = _gradscope(["render", str(out), "--plots", str(tmp_path / "plots")], tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    # The same report, redrawn: only the header's wall time could differ, and it is read from the JSON.
    assert rendered.stdout == diagnosed.stdout
    assert len(list((tmp_path / "plots").glob("*.png"))) == len(PLOTS)


@pytest.mark.parametrize("both", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_a_reader_that_stops_early_changes_neither_the_files_nor_the_exit_code(tmp_path: Path, both: bool) -> None:
    # `gradscope render run.json --plots p | head -0` (and `2>&1 | head -0`): the pipe is closed
    # before anything is printed. rich would exit 1 ("findings"); the plots were written after.
    report_json.write(vanishing_report(), tmp_path / "run.json")
    plots = tmp_path / "plots"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradscope", "render", str(tmp_path / "run.json"), "--plots", str(plots)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if both else subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in (stderr or "")
    assert sorted(p.name for p in plots.iterdir()) == sorted(plot.name for plot in PLOTS)


@pytest.mark.parametrize("change", [{"run": []}, {"run": {"script": 5}}, {"recommendations": ["x"]}])
def test_render_of_an_almost_report_is_one_line_exit_2(tmp_path: Path, change: dict[str, object]) -> None:
    path = write_script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n", "m.py", header=SMALL_BATCH)
    good = tmp_path / "r.json"
    assert invoke("diagnose", path, "--json", good, "--steps", "3", "--no-verify").exit_code == 0
    data = json.loads(good.read_text())
    for key, value in change.items():
        if isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = invoke("render", bad)
    assert result.exit_code == 2
    error_line(result.output)
