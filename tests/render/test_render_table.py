"""The tidy table: CSV and Parquet round trips, load_run from every format, errors as one line."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from render_helpers import S, exploding_report, make_report, vanishing_report

import gradscope
from gradscope.errors import UsageError
from gradscope.render import json as report_json
from gradscope.render import table
from gradscope.render.csv import write as write_csv
from gradscope.render.table import (
    COLUMNS,
    LAYER_METRICS,
    RUN_LAYER,
    RUN_METRICS,
    load_run,
    to_frame,
)


def _expected_rows(report: gradscope.data.records.Report) -> int:
    steps = len(report.record.steps)
    return len(report.record.layers) * steps * len(LAYER_METRICS) + steps * len(RUN_METRICS)


def test_csv_round_trip_has_the_tidy_columns_and_every_row(tmp_path: Path) -> None:
    report = exploding_report()
    [path] = write_csv(report, tmp_path / "run.csv")
    raw = pd.read_csv(path)
    assert tuple(raw.columns) == COLUMNS
    assert len(raw) == _expected_rows(report)
    assert set(raw["metric"]) == {*LAYER_METRICS, *RUN_METRICS}
    assert set(raw.loc[raw["metric"].isin(RUN_METRICS), "layer"]) == {RUN_LAYER}
    back = load_run(path)
    pd.testing.assert_frame_equal(back, to_frame(report))


def test_values_match_the_report_including_nan_and_inf(tmp_path: Path) -> None:
    report = exploding_report()
    frame = load_run(write_csv(report, tmp_path / "run.csv")[0])

    def value(step: int, layer: str, metric: str) -> float:
        hit = frame[(frame.step == step) & (frame.layer == layer) & (frame.metric == metric)]
        assert len(hit) == 1
        return float(hit["value"].iloc[0])

    s = report.record.steps[1]
    assert value(1, "rnn", "grad_norm") == s.grad_norm[0]
    assert value(1, "rnn", "update_ratio") == s.update_ratio[0]
    assert value(1, RUN_LAYER, "loss") == s.loss
    assert math.isnan(value(5, "head", "grad_norm"))
    assert value(5, "head", "weight_norm") == math.inf
    assert value(4, RUN_LAYER, "loss") == math.inf
    assert value(5, "head", "nonfinite_grad") == 1


def test_parquet_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    report = vanishing_report()
    [path] = write_csv(report, tmp_path / "run.parquet")
    assert path.read_bytes()[:4] == b"PAR1"
    raw = pd.read_parquet(path)
    assert tuple(raw.columns) == COLUMNS
    assert len(raw) == _expected_rows(report)
    pd.testing.assert_frame_equal(load_run(path), to_frame(report))


def test_parquet_without_pyarrow_is_a_one_line_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "_has_pyarrow", lambda: False)
    with pytest.raises(UsageError) as err:
        write_csv(vanishing_report(), tmp_path / "run.parquet")
    assert "pyarrow" in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "run.parquet").exists()


def test_load_run_reads_a_json_report_into_the_same_frame(tmp_path: Path) -> None:
    report = exploding_report()
    report_json.write(report, tmp_path / "run.json")
    frame = gradscope.load_run(str(tmp_path / "run.json"))
    pd.testing.assert_frame_equal(frame, to_frame(report))
    assert len(frame) == _expected_rows(report)


def test_layer_names_that_look_like_numbers_or_missing_values_stay_names(tmp_path: Path) -> None:
    names = ["0", "NA", "nan", "null"]
    report = make_report([S.HEALTHY] * 4, names=names)
    frame = load_run(write_csv(report, tmp_path / "run.csv")[0])
    assert set(frame["layer"]) == {*names, RUN_LAYER}


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    write_csv(vanishing_report(), tmp_path / "out" / "run.csv")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["run.csv"]
    (tmp_path / "taken").mkdir()
    with pytest.raises(UsageError):
        write_csv(vanishing_report(), tmp_path / "taken")


def test_load_run_rejects_files_that_are_not_runs(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="not a gradscope table"):
        load_run(other)
    not_report = tmp_path / "other.json"
    not_report.write_text('{"hello": 1}')
    with pytest.raises(UsageError, match="not a gradscope report"):
        load_run(not_report)
    with pytest.raises(UsageError, match="no such file"):
        load_run(tmp_path / "missing.csv")
