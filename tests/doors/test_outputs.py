"""Where `gradscope diagnose` writes its outputs: never over the script, where the user asked even if the
script changes directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import SMALL_BATCH, error_line, invoke, write_script


def script(tmp_path: Path, body: str) -> Path:
    return write_script(tmp_path, body, "m.py", header=SMALL_BATCH)


def test_output_over_the_script_is_refused(tmp_path: Path) -> None:
    path = script(tmp_path, "model = nn.Linear(8, 3); data = [(X, Y)]\n")
    before = path.read_bytes()
    result = invoke("diagnose", path, "--json", path, "--no-verify")
    assert result.exit_code == 2
    assert "also the input" in error_line(result.output)
    assert path.read_bytes() == before


def test_script_that_changes_directory_does_not_move_the_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = script(tmp_path, "import os\nos.chdir('/')\nmodel = nn.Linear(8, 3); data = [(X, Y)]\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = invoke("diagnose", path, "--json", "rel.json", "--steps", "3", "--no-verify", "--fail-on", "never")
    assert result.exit_code == 0
    assert (work / "rel.json").is_file()
    assert Path.cwd() == work
