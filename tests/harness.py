"""What every test shares: where things are, and how to drive gradscope as a user does.

The CLI runs in this process (`invoke`, through typer's CliRunner: its `output` holds stdout
and stderr as a user would see them) or as a real process (`gradscope`, `python`); its one
error line is read with `error_lines`/`error_line`/`assert_error`; `write_script` writes the
small scripts the tests feed it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from gradscope.cli import app

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SCRIPTS = TESTS / "scripts"
SAMPLES = ROOT / "sample_models"
GOLDEN = TESTS / "golden"

ERROR = "gradscope: error:"
# Wide enough that rich wraps no report line the tests read.
WIDE = {"COLUMNS": "200"}

_runner = CliRunner()


def invoke(*args: Any, env: Mapping[str, str] | None = WIDE) -> Result:
    """`gradscope ARGS` in this process; each argument as str()."""
    return _runner.invoke(app, [str(a) for a in args], env=None if env is None else dict(env))


def gradscope(
    *args: Any, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`python -m gradscope ARGS` as a process of its own (the process's exit path, signals, imports)."""
    return _process([sys.executable, "-m", "gradscope", *(str(a) for a in args)], cwd, env, timeout)


def python(
    code: str, *, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -c CODE` (dedented) as a process of its own: what a fresh interpreter imports, say."""
    return _process([sys.executable, "-c", textwrap.dedent(code)], cwd, env, timeout)


def _process(
    command: list[str], cwd: Path | None, env: Mapping[str, str] | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    full = None if env is None else {**os.environ, **env}
    return subprocess.run(command, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout, check=False)


def error_lines(output: str) -> list[str]:
    """The `gradscope: error:` lines of an output."""
    return [line for line in output.splitlines() if line.startswith(ERROR)]


def error_line(output: str) -> str:
    """The one `gradscope: error:` line of an output with no traceback."""
    lines = error_lines(output)
    assert len(lines) == 1, f"expected exactly one {ERROR!r} line, got {len(lines)}:\n{output}"
    assert "Traceback" not in output, output
    return lines[0]


def assert_error(result: Result, code: int, keywords: tuple[str, ...] = ()) -> str:
    """Exit `code`, exactly one `gradscope: error:` line naming the fix (each keyword, in any
    case), no traceback. Returns the line."""
    output = result.output
    assert result.exit_code == code, f"exit {result.exit_code}, wanted {code}; output:\n{output}"
    line = error_line(output)
    for word in keywords:
        assert word.lower() in line.lower(), f"the error line should name {word!r}: {line}"
    return line


def write_script(folder: Path, body: str, name: str = "script.py", header: str = "") -> Path:
    """`header` and the dedented `body` as folder/name."""
    path = folder / name
    path.write_text(header + textwrap.dedent(body))
    return path


# The first lines of a small model script: torch, nn and one seeded batch X (64x8), Y (3 classes).
SMALL_BATCH = (
    "import torch\nfrom torch import nn\ntorch.manual_seed(0)\nX = torch.randn(64, 8); Y = torch.randint(0, 3, (64,))\n"
)
