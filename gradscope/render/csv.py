"""Per-step figures as a tidy table file: CSV, or Parquet for a .parquet path.

The table itself (one row per step, layer and metric) is table.to_frame, which
needs pandas; it is imported when a table is written, not when the format is
looked up.
"""

from __future__ import annotations

import io
from pathlib import Path

from gradscope.data.records import Report
from gradscope.render import Renderer
from gradscope.render.files import write_atomic

PARQUET_SUFFIXES = (".parquet", ".pq")


def write(report: Report, path: Path) -> list[Path]:
    """Write the tidy table as CSV, or Parquet for a .parquet path; whole or not at all."""
    # Late: the table needs pandas, which the light layer loads only when a CSV is asked for.
    from gradscope.render.table import NAN_TEXT, need_pyarrow, to_frame

    path = Path(path)
    frame = to_frame(report)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        need_pyarrow(path)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        write_atomic(path, buffer.getvalue())
    else:
        # repr-exact floats; "inf"/"-inf" are what pandas writes and reads back.
        write_atomic(path, frame.to_csv(index=False, na_rep=NAN_TEXT, lineterminator="\n"))
    return [path]


RENDERER = Renderer(name="csv", suffixes=(".csv", *PARQUET_SUFFIXES), write=write)
