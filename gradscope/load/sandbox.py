"""The sandbox that runs a user's code as Python would, and leaves no trace of it.

Both doors run code gradscope did not write: `diagnose` imports a model script,
`run` runs a training script as `__main__`. Either way nothing the user gave is
modified (no __pycache__ is written beside their files), their prints do not
reach gradscope's stdout (the report), and afterwards the process is as it was:
sys.argv, sys.path and the working directory put back, and the modules imported
from the script's folder forgotten, so a second script with a same-named
helper gets its own.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gradscope.config import ScriptRun

# The name a model script is imported under: not "__main__", so its training loop does not run.
MODULE_NAME = "gradscope_user_script"
# Set on the imported model script: the modules loaded before it, which unload() keeps.
PREEXISTING = "__gradscope_preexisting__"


@contextlib.contextmanager
def no_bytecode() -> Iterator[None]:
    """No __pycache__ beside the user's files, whichever of their functions imports a helper."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


def quiet_stdout() -> contextlib.AbstractContextManager[Any]:
    """User code prints to stderr while gradscope runs it."""
    return contextlib.redirect_stdout(sys.stderr if sys.stderr is not None else io.StringIO())


@contextlib.contextmanager
def sandbox(forget_after: Callable[[], None]) -> Iterator[None]:
    """Bytecode writing off within the block (a helper beside the script may be imported lazily,
    from model() or the training loop); afterwards `forget_after()` drops the modules the user's
    code imported, and sys.argv, sys.path and the working directory are put back."""
    saved_argv, saved_path, saved_cwd = list(sys.argv), list(sys.path), Path.cwd()
    try:
        with no_bytecode():
            yield
    finally:
        forget_after()
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        if Path.cwd() != saved_cwd:  # the script moved the working directory: move it back
            os.chdir(saved_cwd)


def isolated() -> contextlib.AbstractContextManager[None]:
    """For `diagnose`: the model script imported within the block is forgotten afterwards."""
    return sandbox(unload)


@contextlib.contextmanager
def as_python_would(run: ScriptRun) -> Iterator[None]:
    """For `run`: sys.argv and sys.path[0] as `python SCRIPT ARGS` (or `python -m`) sets them;
    the modules the script imported from its folder are forgotten afterwards, so the process
    (a test run, a notebook) is as it was."""
    preexisting = frozenset(sys.modules)
    if run.module:
        folder = Path.cwd()  # python -m puts the working directory first
    else:
        path = Path(run.script).resolve()
        folder = path if path.is_dir() else path.parent
    with sandbox(lambda: forget(folder, preexisting)):
        sys.argv = [run.script, *run.args]
        sys.path.insert(0, str(folder))
        yield


def unload() -> None:
    """Forget the imported model script, and the modules it imported from its folder, so a second
    script in the same process (with its own `helpers.py`, say) starts clean."""
    module = sys.modules.pop(MODULE_NAME, None)
    script_file = getattr(module, "__file__", None)
    if not script_file:
        return
    preexisting: frozenset[str] = getattr(module, PREEXISTING, frozenset())
    forget(Path(script_file).resolve().parent, preexisting)


def forget(folder: Path, preexisting: frozenset[str]) -> None:
    """Drop the modules imported from `folder` since `preexisting` was taken, and its sys.path entry."""
    for name, other in list(sys.modules.items()):
        if name in preexisting:
            continue
        where_from = str(getattr(other, "__file__", None) or "")
        # Installed packages (a project-local .venv may sit inside the folder) stay loaded:
        # C extensions cannot be imported twice in one process.
        if not where_from or "site-packages" in where_from or "dist-packages" in where_from:
            continue
        try:
            inside = Path(where_from).resolve().is_relative_to(folder)
        except (OSError, ValueError):
            inside = False
        if inside:
            sys.modules.pop(name, None)
    while str(folder) in sys.path:
        sys.path.remove(str(folder))
