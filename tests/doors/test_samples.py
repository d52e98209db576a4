"""Every sample model is diagnosed as its EXPECTED declares (verdict, layer statuses, actions).

The same run is also compared with its golden JSON report, tests/golden/json/<sample>.json
(torchinfo's golden files): wall times, versions and absolute paths are taken out, floats are
compared with a relative tolerance, everything else exactly. The runs use one thread: with two,
a sum's order, so its last bits, vary from run to run, and a chaotic sample (exploding_rnn)
turns those bits into a different finding. `pytest tests/doors/test_samples.py --overwrite`
rewrites them; read the diff.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from expectations import expected_of, mismatches
from harness import GOLDEN, ROOT

from gradscope.config import RunConfig
from gradscope.data.records import LayerStatus, Report, Verdict
from gradscope.doors.diagnose import run_diagnosis
from gradscope.render.json import dumps

SAMPLES = sorted((ROOT / "sample_models").glob("*.py"))
GOLDEN_JSON = GOLDEN / "json"
REL_TOL = 1e-4
# Differs between machines and runs without the report's meaning changing.
VOLATILE_RUN_KEYS = ("wall_s", "torch", "gradscope")


@pytest.fixture
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def test_there_are_enough_samples() -> None:
    assert len(SAMPLES) >= 14


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("script", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_sample_diagnosed_as_declared(script: Path, update_golden: bool) -> None:
    expected = expected_of(script)
    report = run_diagnosis(RunConfig(script=script, device="cpu", budget=None))
    assert mismatches(report, expected) == []
    if expected["verdict"] == "healthy":
        problems = {LayerStatus.VANISHING, LayerStatus.EXPLODING, LayerStatus.DEAD, LayerStatus.NONFINITE}
        assert report.verdict is Verdict.HEALTHY
        assert not problems & set(report.statuses)
    for rec in report.recommendations:
        if rec.verified is not None and rec.action in {"clip_grad_norm", "learning_rate"}:
            # A number is printed only when the replay showed it helps.
            assert rec.verified.improved
    check_golden_json(report, GOLDEN_JSON / f"{script.stem}.json", update_golden)


def normalised(report: Report) -> Any:
    """The report's JSON with what varies between machines replaced by placeholders."""
    text = dumps(report).replace(str(ROOT), "<root>")
    data = json.loads(text)
    for key in VOLATILE_RUN_KEYS:
        if key in data["run"]:
            data["run"][key] = f"<{key}>"
    return data


def check_golden_json(report: Report, golden: Path, overwrite: bool) -> None:
    data = normalised(report)
    if overwrite:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return
    assert golden.exists(), f"{golden} is missing; run pytest {__file__} --overwrite"
    diffs = differences(json.loads(golden.read_text(encoding="utf-8")), data, "$")
    assert diffs == [], f"{golden.name} differs (inspect, then --overwrite):\n" + "\n".join(diffs[:20])


def differences(want: Any, got: Any, where: str) -> list[str]:
    """Where `got` departs from `want`: floats within REL_TOL, the rest exactly."""
    if isinstance(want, float) and isinstance(got, float | int) and not isinstance(got, bool):
        return [] if math.isclose(want, got, rel_tol=REL_TOL) else [f"{where}: {want!r} != {got!r}"]
    if type(want) is not type(got):
        return [f"{where}: {want!r} != {got!r}"]
    if isinstance(want, dict):
        if list(want) != list(got):
            return [f"{where}: keys {list(want)} != {list(got)}"]
        return [d for key in want for d in differences(want[key], got[key], f"{where}.{key}")]
    if isinstance(want, list):
        if len(want) != len(got):
            return [f"{where}: length {len(want)} != {len(got)}"]
        return [d for i, (w, g) in enumerate(zip(want, got, strict=True)) for d in differences(w, g, f"{where}[{i}]")]
    return [] if want == got else [f"{where}: {want!r} != {got!r}"]
