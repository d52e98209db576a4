"""The report file: strict JSON, a lossless round trip through the json format, atomic writes."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from harness import SCRIPTS
from typer.testing import CliRunner

from gradscope.cli import app
from gradscope.data import codec as records
from gradscope.errors import UsageError
from gradscope.render import json as report_json
from gradscope.render.files import write_atomic

runner = CliRunner()


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def strict_loads(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise ValueError(f"non-standard JSON token {token!r}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def nan_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real report with NaN/Inf figures in it, the hard case for strict JSON."""
    out = tmp_path_factory.mktemp("records") / "nan.json"
    result = invoke("diagnose", SCRIPTS / "nan_data.py", "--steps", 4, "--no-verify", "--device", "cpu", "--json", out)
    assert result.exit_code in (0, 1), result.output
    return out


def test_report_json_is_strict_and_spells_non_finite_values_as_strings(nan_report: Path) -> None:
    text = nan_report.read_text(encoding="utf-8")
    data = strict_loads(text)  # raises on bare NaN / Infinity
    assert data["schema_version"] == 1
    losses = [step["loss"] for step in data["steps"]]
    assert isinstance(losses[0], float) and math.isfinite(losses[0])
    assert "NaN" in losses[1:] or "Infinity" in losses[1:], losses
    assert any(
        layer["grad_norm"] in ("NaN", "Infinity", "-Infinity")
        for step in data["steps"]
        for layer in step["layers"].values()
    )


def test_records_load_round_trips_the_report(nan_report: Path) -> None:
    original = strict_loads(nan_report.read_text(encoding="utf-8"))
    report = report_json.load(nan_report)
    assert report.verdict.value == original["verdict"]
    assert [layer.name for layer in report.record.layers] == [layer["name"] for layer in original["layers"]]
    assert len(report.record.steps) == len(original["steps"])
    second = report.record.steps[1]
    assert second.loss is not None and not math.isfinite(second.loss), "'NaN' strings come back as floats"
    assert records.to_dict(report) == original, "load -> to_dict must give back the same JSON"
    assert strict_loads(report_json.dumps(report)) == original


def test_a_tiny_report_round_trips_too(tmp_path: Path) -> None:
    out = tmp_path / "tiny.json"
    result = invoke("diagnose", SCRIPTS / "tiny_mlp.py", "--steps", 3, "--no-verify", "--device", "cpu", "--json", out)
    assert result.exit_code == 0, result.output
    original = strict_loads(out.read_text())
    assert records.to_dict(report_json.load(out)) == original


def test_render_redraws_a_saved_report(nan_report: Path) -> None:
    result = invoke("render", nan_report)
    assert result.exit_code == 0, result.output
    assert "nonfinite" in result.output


@pytest.mark.parametrize(
    ("content", "keyword"),
    [
        ("not json {", "not json"),
        ('{"hello": 1}', "not a gradscope report"),
        ('{"schema_version": 99, "layers": []}', "schema_version"),
    ],
)
def test_render_rejects_what_is_not_a_report(tmp_path: Path, content: str, keyword: str) -> None:
    path = tmp_path / "thing.json"
    path.write_text(content)
    result = invoke("render", path)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("gradscope: error:")]
    assert len(lines) == 1 and keyword.lower() in lines[0].lower(), result.output
    assert "Traceback" not in result.output


# -- atomic writes -------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_atomic_writes_the_whole_text(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "report.json"
    write_atomic(path, '{"x": 1}')
    assert path.read_text() == '{"x": 1}'
    assert _leftovers(path.parent) == []


def test_failed_write_leaves_no_partial_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.json"
    path.write_text("OLD REPORT")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(UsageError, match="No space left"):
        write_atomic(path, "x" * 100_000)
    assert path.read_text() == "OLD REPORT", "a failed write must not touch the existing report"
    assert _leftovers(tmp_path) == [], "the temp file is removed"

    fresh = tmp_path / "new.json"
    with pytest.raises(UsageError, match="No space left"):
        write_atomic(fresh, "x" * 100_000)
    assert not fresh.exists(), "no partial file where nothing was before"
    assert _leftovers(tmp_path) == []


def test_write_atomic_to_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(UsageError, match="directory"):
        write_atomic(target, "{}")
    assert target.is_dir() and list(target.iterdir()) == []
    assert _leftovers(tmp_path) == []


def test_cli_json_to_an_existing_directory_exits_2_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    target.mkdir()
    result = invoke(
        "diagnose", SCRIPTS / "tiny_mlp.py", "--steps", 3, "--no-verify", "--device", "cpu", "--json", target
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("gradscope: error:")]
    assert len(lines) == 1 and "directory" in lines[0], result.output
    assert "Traceback" not in result.output
    assert target.is_dir() and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"], "no partial or temp file left"


def test_cli_disk_full_while_writing_the_report_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run.json"
    out.write_text("OLD REPORT")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    result = invoke("diagnose", SCRIPTS / "tiny_mlp.py", "--steps", 3, "--no-verify", "--device", "cpu", "--json", out)
    assert out.read_text() == "OLD REPORT"
    assert _leftovers(tmp_path) == []
    lines = [line for line in result.output.splitlines() if line.startswith("gradscope: error:")]
    assert result.exit_code == 2 and len(lines) == 1, (
        "BUG files.write_atomic: an OSError while writing/fsyncing/renaming (disk full, read-only "
        f"file system) escapes unconverted, so the CLI dies with exit {result.exit_code} and "
        f"{type(result.exception).__name__}: {result.exception} instead of one `gradscope: error:` line"
    )


def test_recommendation_numbers_read_as_typed_fields() -> None:
    from gradscope.data.records import Recommendation

    clip = Recommendation("clip_grad_norm", {"max_norm": 1, "clipped_fraction": 0.25}, "GS102", "")
    assert (clip.max_norm, clip.clipped_fraction, clip.lr) == (1.0, 0.25, None)
    odd = Recommendation("learning_rate", {"lr": True, "max_norm": "1.0"}, "GS301", "")
    assert (odd.lr, odd.max_norm) == (None, None), "only numbers are numbers"
