"""Output files are written whole, with the permissions the user's umask gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from harness import SMALL_BATCH, invoke, write_script


def test_reports_are_written_with_the_umask_not_0600(tmp_path: Path) -> None:
    path = write_script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n", "m.py", header=SMALL_BATCH)
    old = os.umask(0o022)
    try:
        code = invoke("diagnose", path, "--json", tmp_path / "r.json", "--steps", "3", "--no-verify").exit_code
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644
