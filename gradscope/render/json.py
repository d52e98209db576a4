"""The JSON report: written whole or not at all, and read back.

The JSON is strict (no bare NaN/Infinity tokens, which many parsers reject):
records.to_dict writes non-finite floats as the strings "NaN", "Infinity",
"-Infinity" and records.from_dict reads them back as floats. Reading a report
never executes anything from it.
"""

from __future__ import annotations

import json
from pathlib import Path

from gradscope.data import codec as records
from gradscope.data.records import Report
from gradscope.errors import UsageError
from gradscope.render import Renderer
from gradscope.render.files import write_atomic


def dumps(report: Report) -> str:
    return json.dumps(records.to_dict(report), indent=1, allow_nan=False)


def write(report: Report, path: Path) -> list[Path]:
    write_atomic(path, dumps(report))
    return [Path(path)]


def load(path: Path) -> Report:
    """A report written by `gradscope diagnose --json` (or `watch().save`); anything else is a UsageError."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file; pass a report written by `gradscope diagnose --json`")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UsageError(f"{path} is not a gradscope report (not JSON); pass a --json output") from exc
    return records.from_dict(data, str(path))


RENDERER = Renderer(name="json", suffixes=(".json",), write=write)
