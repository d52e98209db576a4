"""Who is to blame: the script's exceptions exit 3 in one line, gradscope's own exit 4 with a traceback.

An exception raised while the user's code runs is the script's only when the
deepest gradscope frame of its traceback is the hand-off into user code
(`errors.call_user`); one raised inside gradscope (a probe hook inside
optimizer.step, a renderer) is an internal error, whatever was running.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import SCRIPTS, assert_error, invoke, python, write_script

from gradscope import errors
from gradscope.probe import Probe

TINY = SCRIPTS / "tiny_mlp.py"
PRELUDE = "import torch\nfrom torch import nn\n"
DATA = "data = [(torch.randn(8, 4), torch.randn(8, 2))]\n"


def model_script(folder: Path, body: str) -> Path:
    return write_script(folder, body, "model.py", PRELUDE)


def diagnose(script: Path) -> Any:
    return invoke("diagnose", script, "--steps", 3, "--no-verify", "--device", "cpu")


def assert_internal(result: Any, what: str) -> None:
    """Exit 4, the traceback, `gradscope: internal error: <Type: message>`, a request to report, no blame."""
    output = result.output
    assert result.exit_code == 4, f"exit {result.exit_code}, wanted 4; output:\n{output}"
    assert "Traceback (most recent call last)" in output
    assert f"gradscope: internal error: {what}" in output
    assert "please report this with the traceback above" in output
    assert "gradscope: error:" not in output, "the script must not be blamed"
    assert "fix the" not in output


def assert_script_error(result: Any, *words: str) -> None:
    """Exit 3 and exactly one `gradscope: error:` line, no traceback, nothing about gradscope failing."""
    line = assert_error(result, 3)
    assert "internal error" not in result.output
    for word in words:
        assert word in line, line


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("probe bug")


# -- gradscope's own exceptions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("helper", "hook"),
    [("_finish", "_post_step"), ("_measure_grads", "_pre_step")],
)
def test_a_probe_hook_that_raises_inside_optimizer_step_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, helper: str, hook: str
) -> None:
    monkeypatch.setattr(Probe, helper, _raise)
    result = diagnose(TINY)
    assert_internal(result, "RuntimeError: probe bug")
    assert f"in {hook}" in result.output, "the traceback runs down to the probe's hook"


def test_an_internal_error_needs_no_debug_flag_and_keeps_exit_4_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Probe, "_finish", _raise)
    result = invoke("diagnose", TINY, "--steps", 3, "--no-verify", "--device", "cpu", "--debug")
    assert_internal(result, "RuntimeError: probe bug")


def test_an_unexpected_exception_outside_the_script_run_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import gradscope.render.terminal

    monkeypatch.setattr(gradscope.render.terminal, "print_report", _raise)
    assert_internal(diagnose(TINY), "RuntimeError: probe bug")


def test_main_turns_any_escaping_exception_into_exit_4() -> None:
    done = python(
        """
        import sys
        import gradscope.cli

        def broken():
            raise KeyError("no such rule")

        gradscope.cli.print_rules = broken
        sys.argv = ["gradscope", "rules"]
        gradscope.cli.main()
        """,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert "Traceback (most recent call last)" in done.stderr
    assert "gradscope: internal error: KeyError: 'no such rule'" in done.stderr
    assert "please report" in done.stderr


# -- the script's exceptions ----------------------------------------------------------------


def test_a_user_forward_that_raises_is_the_scripts_error(tmp_path: Path) -> None:
    script = model_script(
        tmp_path,
        "class Net(nn.Module):\n"
        + "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)\n"
        + "    def forward(self, x):\n        raise ValueError('bad forward')\n"
        + "model = Net()\n"
        + DATA,
    )
    assert_script_error(diagnose(script), "forward pass", "ValueError: bad forward", "model.py:8")


def test_a_shape_mismatch_inside_nn_linear_with_no_user_frame_is_the_scripts_error(tmp_path: Path) -> None:
    script = model_script(tmp_path, "model = nn.Linear(5, 2)\n" + DATA)  # data has 4 features
    assert_script_error(diagnose(script), "forward pass", "shape")


def test_a_compute_loss_with_the_wrong_arguments_is_the_scripts_error(tmp_path: Path) -> None:
    # Raised by the call itself, in the hand-off frame, with no frame of the user's below it.
    script = model_script(tmp_path, "model = nn.Linear(4, 2)\n" + DATA + "def compute_loss(batch):\n    return 0\n")
    assert_script_error(diagnose(script), "compute_loss() takes 1 positional argument")


def test_a_user_optimizer_step_that_raises_is_the_scripts_error(tmp_path: Path) -> None:
    script = model_script(
        tmp_path,
        "model = nn.Linear(4, 2)\n"
        + DATA
        + "class Broken(torch.optim.SGD):\n"
        + "    def step(self, closure=None):\n        raise RuntimeError('my step')\n"
        + "def optimizer(params):\n    return Broken(params, lr=0.1)\n",
    )
    assert_script_error(diagnose(script), "optimizer.step()", "RuntimeError: my step")


# -- the blame rule itself ----------------------------------------------------------------------


def _caught(fn: Any) -> BaseException:
    try:
        fn()
    except Exception as exc:
        return exc
    raise AssertionError("nothing raised")


def test_blame_the_deepest_gradscope_frame_decides() -> None:
    def user() -> None:
        raise ValueError("user")

    assert errors.raised_by_user(_caught(lambda: errors.call_user(user)))
    # A user callable called with the wrong arguments fails in the hand-off frame itself: still the user's.
    assert errors.raised_by_user(_caught(lambda: errors.call_user(user, 1)))
    # User code that calls back into gradscope, which raises in its own frame: gradscope's frame is the deepest.
    assert not errors.raised_by_user(_caught(lambda: errors.call_user(errors.raised_by_user, None)))
    # No hand-off at all: raised here, outside any call into user code.
    assert not errors.raised_by_user(_caught(user))


def test_blame_builds_the_error_to_raise() -> None:
    def user() -> None:
        raise ValueError("user")

    script = errors.blame(_caught(lambda: errors.call_user(user)), "the forward pass raised ValueError: user")
    assert type(script) is errors.ScriptError and script.exit_code == 3
    internal = errors.blame(_caught(user), "unused")
    assert type(internal) is errors.InternalError and internal.exit_code == 4
    assert str(internal) == "ValueError: user"
