"""benchmarks/gpu_check.sh without CUDA: one line saying so, exit 0 (`make gpu-check` runs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from harness import ROOT

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: the check would run for real")


def test_without_cuda_the_gpu_check_says_so_in_one_line_and_exits_0(tmp_path: Path) -> None:
    python = Path(sys.executable)
    env = {**os.environ, "PYTHON": str(python), "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["OUT"] = str(tmp_path / "out")  # without CUDA nothing is written, even where OUT is set
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("gpu-check: no CUDA device here (torch ")
    assert lines[0].endswith("cuda unavailable); nothing to check")
    assert torch.__version__ in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_python_without_torch_is_no_cuda_either(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-python"
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh")],
        capture_output=True, text=True, env={**os.environ, "PYTHON": str(missing)}, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    line = "gpu-check: no CUDA device here (torch not importable, cuda unavailable); nothing to check"
    assert done.stdout.splitlines() == [line]
    assert done.stderr == ""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_gpu_check_runs_the_script_and_installs_nothing() -> None:
    done = subprocess.run(
        ["make", "-n", "gpu-check"], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True,
        # Not the outer make's flags (under `make test` they would add "Entering directory" lines).
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"},
    )  # fmt: skip
    # One command, the script's: no `install` first (it would put a CPU torch over the GPU one).
    commands = done.stdout.strip().splitlines()
    assert len(commands) == 1, commands
    assert commands[0].startswith("PYTHON=") and commands[0].endswith(" bash benchmarks/gpu_check.sh")
