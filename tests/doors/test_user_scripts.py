"""What a user's script may do to `gradscope diagnose`: exit, raise, hand over nothing to train, leave a thread.

Each is a script error (exit 3, one error line naming the cause) or, for the thread, no hang.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness import SMALL_BATCH, error_line, invoke, write_script


def script(tmp_path: Path, body: str) -> Path:
    return write_script(tmp_path, body, "m.py", header=SMALL_BATCH)


@pytest.mark.parametrize(
    "body",
    [
        "model = nn.Linear(8, 3); data = [(X, Y)]\nimport sys\ndef loss(o, t):\n    sys.exit(0)\n",
        "import sys\ndef model():\n    sys.exit('no gpu')\ndata = [(X, Y)]\n",
        "model = nn.Linear(8, 3); data = [(X, Y)]\nimport sys\ndef optimizer(p):\n    sys.exit(1)\n",
    ],
    ids=["loss", "model", "optimizer"],
)
def test_sys_exit_inside_user_code_is_a_script_error(tmp_path: Path, body: str) -> None:
    result = invoke("diagnose", script(tmp_path, body), "--steps", "3", "--no-verify")
    assert result.exit_code == 3
    assert "sys.exit" in error_line(result.output)


def test_zero_grad_that_raises_is_a_script_error(tmp_path: Path) -> None:
    body = """
        model = nn.Linear(8, 3); data = [(X, Y)]
        class O(torch.optim.SGD):
            def zero_grad(self, set_to_none=True):
                raise ValueError("boom zg")
        def optimizer(p):
            return O(p, lr=0.1)
    """
    result = invoke("diagnose", script(tmp_path, body), "--steps", "3", "--no-verify")
    assert result.exit_code == 3
    assert "zero_grad" in error_line(result.output)


def test_optimizer_holding_none_of_the_model_is_a_script_error(tmp_path: Path) -> None:
    body = (
        "model = nn.Linear(8, 3); data = [(X, Y)]\n"
        "def optimizer(p):\n    return torch.optim.SGD([nn.Parameter(torch.zeros(3))], lr=0.1)\n"
    )
    result = invoke("diagnose", script(tmp_path, body), "--steps", "3", "--no-verify")
    assert result.exit_code == 3
    assert "holds none" in error_line(result.output)


def test_empty_batch_is_a_script_error(tmp_path: Path) -> None:
    result = invoke("diagnose", script(tmp_path, "model = nn.Linear(8, 3); data = [(X[:0], Y[:0])]\n"), "--no-verify")
    assert result.exit_code == 3
    assert "0 samples" in error_line(result.output)


def test_a_thread_left_running_by_the_script_does_not_hang_the_cli(tmp_path: Path) -> None:
    body = (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\n"
        "model = nn.Linear(8, 3); data = [(X, Y)]\n"
    )
    path = script(tmp_path, body)
    done = subprocess.run(
        [sys.executable, "-m", "gradscope", "diagnose", str(path), "--steps", "2", "--no-verify", "-q"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("verdict:")
