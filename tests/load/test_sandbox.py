"""The sandbox both doors run user code in: as Python would, and nothing left behind."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest
from harness import write_script

from gradscope.config import ScriptRun
from gradscope.errors import describe, first_line, where
from gradscope.load import sandbox


def test_as_python_would_sets_argv_and_path_then_puts_everything_back(tmp_path: Path) -> None:
    write_script(tmp_path, "VALUE = 7\n", "gs_sandbox_helper.py")
    script = write_script(tmp_path, "import gs_sandbox_helper\n", "train.py")
    argv, path, cwd = list(sys.argv), list(sys.path), Path.cwd()
    with sandbox.as_python_would(ScriptRun(str(script), ("--lr", "3"))):
        assert sys.argv == [str(script), "--lr", "3"]
        assert sys.path[0] == str(tmp_path.resolve())
        assert sys.dont_write_bytecode
        assert importlib.import_module("gs_sandbox_helper").VALUE == 7
        os.chdir(tmp_path)  # as a script may
    assert sys.argv == argv and sys.path == path and Path.cwd() == cwd
    assert "gs_sandbox_helper" not in sys.modules
    assert not (tmp_path / "__pycache__").exists()


def test_as_python_would_with_dash_m_puts_the_working_directory_first(tmp_path: Path) -> None:
    with sandbox.as_python_would(ScriptRun("pkg.train", (), module=True)):
        assert sys.path[0] == str(Path.cwd())
        assert sys.argv == ["pkg.train"]


def test_quiet_stdout_sends_prints_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with sandbox.quiet_stdout():
        print("from the script")
    captured = capsys.readouterr()
    assert captured.out == "" and "from the script" in captured.err


def test_describe_words_an_exception_in_one_short_line() -> None:
    assert describe(SystemExit(2)) == "sys.exit(2)"
    assert describe(ValueError("bad\nsecond line")) == "ValueError: bad"
    assert describe(KeyError()) == "KeyError"
    long = describe(RuntimeError("x" * 300))
    assert long.endswith("...") and len(long) == len("RuntimeError: ") + 200
    # An internal error keeps the whole first line.
    assert first_line(RuntimeError("x" * 300)) == "RuntimeError: " + "x" * 300


def test_where_names_the_deepest_frame_the_predicate_accepts() -> None:
    def inner() -> None:
        raise ValueError("deep")

    try:
        inner()
    except ValueError as exc:
        caught = exc
    here = Path(__file__).name
    line = inner.__code__.co_firstlineno + 1
    assert where(caught, lambda name: name == __file__) == f" ({here}:{line})"
    assert where(caught, lambda _name: False) == ""
