"""Per-step figures as one tidy table (step, layer, metric, value), for pandas users.

Long rather than wide: one row per (step, layer, metric), so `df.pivot_table`,
`groupby("metric")` or seaborn's `hue=` work without reshaping, and a model
with 600 layers does not become a 4,000-column CSV. Run-level figures (loss,
total gradient norm) sit beside the layers under the layer name RUN_LAYER.

The csv format (render/csv.py) writes it as CSV or Parquet; `load_run` reads
either of those, or a gradscope JSON report, back into the same frame.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pandas as pd

from gradscope.data.records import Report
from gradscope.errors import UsageError
from gradscope.render.json import load as load_report

COLUMNS = ("step", "layer", "metric", "value")
LAYER_METRICS = (
    "grad_norm",
    "weight_norm",
    "update_norm",
    "update_ratio",
    "zero_grad_frac",
    "nonfinite_grad",
    "nonfinite_weight",
)
RUN_METRICS = ("loss", "total_grad_norm")
# A row only on steps where the script built a policy's distributions (StepRecord.policy_entropy).
POLICY_METRIC = "policy_entropy"
# Parentheses cannot start a module path, so no layer can be called this.
RUN_LAYER = "(run)"
_PARQUET_MAGIC = b"PAR1"
# Written and read explicitly: a layer named "nan" or "NA" must stay a name.
NAN_TEXT = "NaN"


def to_frame(report: Report) -> pd.DataFrame:
    """The report's per-step figures as a tidy frame: step, layer, metric, value."""
    record = report.record
    names = [layer.name for layer in record.layers]
    steps: list[int] = []
    layers: list[str] = []
    metrics: list[str] = []
    values: list[float] = []
    for s in record.steps:
        columns = {
            "grad_norm": s.grad_norm,
            "weight_norm": s.weight_norm,
            "update_norm": s.update_norm,
            "update_ratio": s.update_ratio,
            "zero_grad_frac": s.zero_grad_frac,
            "nonfinite_grad": s.nonfinite_grad,
            "nonfinite_weight": s.nonfinite_weight,
        }
        for i, name in enumerate(names):
            for metric in LAYER_METRICS:
                steps.append(s.step)
                layers.append(name)
                metrics.append(metric)
                values.append(float(columns[metric][i]))
        run = [("loss", s.loss), ("total_grad_norm", s.total_grad_norm)]
        if s.policy_entropy is not None:
            run.append((POLICY_METRIC, s.policy_entropy))
        for metric, value in run:
            steps.append(s.step)
            layers.append(RUN_LAYER)
            metrics.append(metric)
            values.append(math.nan if value is None else float(value))
    return _typed(pd.DataFrame({"step": steps, "layer": layers, "metric": metrics, "value": values}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whichever way the frame was made, so frames compare equal."""
    return frame.astype({"step": "int64", "layer": "str", "metric": "str", "value": "float64"}).reset_index(drop=True)


def _has_pyarrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def need_pyarrow(path: Path) -> None:
    if not _has_pyarrow():
        raise UsageError(f"{path}: Parquet needs pyarrow; pip install 'gradscope[parquet]', or give a .csv path")


def load_run(path: Path | str) -> pd.DataFrame:
    """A saved run as the tidy frame: from a CSV/Parquet the csv format wrote, or a JSON report."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file; pass a --json report or a --csv table")
    with path.open("rb") as handle:
        head = handle.read(64)
    # Sniffed, not trusted to the suffix: a report saved as run.txt still loads.
    if head.startswith(_PARQUET_MAGIC):
        need_pyarrow(path)
        frame = pd.read_parquet(path)
    elif head.lstrip().startswith(b"{"):
        return to_frame(load_report(path))
    else:
        try:
            frame = _read_csv(path)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise UsageError(f"{path} is not a gradscope table ({exc})") from exc
    if tuple(frame.columns) != COLUMNS:
        raise UsageError(f"{path} is not a gradscope table: columns {list(frame.columns)}, expected {list(COLUMNS)}")
    try:
        return _typed(frame)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not a gradscope table ({exc})") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    # Layer names are read as written ("nan", "NA", "0" stay names); only the
    # value column knows missing values.
    names = {"layer": str, "metric": str}
    missing = {"value": [NAN_TEXT, "nan", ""]}
    if int(pd.__version__.split(".", 1)[0]) < 3:
        # pandas 2's default float parser can be off by one ulp; pandas 3 is
        # exact by default and deprecates the option.
        return pd.read_csv(path, dtype=names, keep_default_na=False, na_values=missing, float_precision="round_trip")
    return pd.read_csv(path, dtype=names, keep_default_na=False, na_values=missing)
