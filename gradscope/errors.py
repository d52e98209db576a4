"""Errors gradscope reports to the user as one line and an exit code, and who is to blame.

Anything the user's script does wrong becomes a ScriptError (exit 3); anything
wrong with how gradscope was called becomes a UsageError (exit 2); a bug in
gradscope itself becomes an InternalError (exit 4), shown with its traceback.

An exception caught while the user's code runs is the script's only if it came
from the user's side of a hand-off: `blame` looks for the deepest traceback
frame of the gradscope package, and only when that frame is `call_user`, the
one place where gradscope calls the user's model, loss, data, optimizer or
script (or a library on their behalf), is the script at fault. Anything raised
deeper inside gradscope (a probe hook inside optimizer.step, say) or in
gradscope's own lines around the call is an internal error.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

# The exit codes of every command (docs/contract.md).
EXIT_OK = 0
EXIT_FINDINGS = 1  # findings at or above --fail-on
EXIT_USAGE = 2
EXIT_SCRIPT = 3
EXIT_INTERNAL = 4
# As a shell reports a process ended by SIGINT (128 + 2); SIGTERM gives the same, so a CI job
# cancelled mid-run is told apart from one that found problems.
EXIT_INTERRUPTED = 130

# Longest message kept of a user's exception, so its line stays one line.
MESSAGE_LIMIT = 200


class GradscopeError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = EXIT_FINDINGS


class UsageError(GradscopeError):
    """Bad option, missing file, device not available, unreadable report."""

    exit_code = EXIT_USAGE


class ScriptError(GradscopeError):
    """The user's script failed or does not follow the script contract; `shown`, when given, is
    the script's own traceback, printed before the line."""

    exit_code = EXIT_SCRIPT

    def __init__(self, message: str, shown: str = "") -> None:
        super().__init__(message)
        self.shown = shown


class InternalError(GradscopeError):
    """A bug in gradscope: `str(err)` is `Type: message` of what was raised; the CLI adds the traceback."""

    exit_code = EXIT_INTERNAL

    @classmethod
    def of(cls, exc: BaseException) -> InternalError:
        return cls(first_line(exc))


def first_line(exc: BaseException, limit: int | None = None) -> str:
    """`Type: first line of the message` (of at most `limit` characters), or `Type` without one."""
    try:
        raw = str(exc).strip()
    except Exception:  # an exception whose __str__ itself fails
        raw = ""
    text = raw.splitlines()[0] if raw else ""
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe(exc: BaseException) -> str:
    """What the user's code raised, short enough for one line: `sys.exit(2)` for an exit."""
    if isinstance(exc, SystemExit):
        return f"sys.exit({exc.code!r})"
    return first_line(exc, MESSAGE_LIMIT)


def where(exc: BaseException, users: Callable[[str], bool]) -> str:
    """' (train.py:12)' for the deepest traceback frame in a file `users` says is the user's, or ''."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if users(frame.filename):
            found = f" ({Path(frame.filename).name}:{frame.lineno})"
    return found


def call_user(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Hand control to the user's code: `fn(*args, **kwargs)` and nothing else.

    Every call of gradscope into the user's model, loss, data, optimizer or
    script goes through here, so a traceback says where the user's side begins.
    The frame holds only the call, so what is raised in it, and not below it,
    is the call's own failure (a `compute_loss` with the wrong arguments, say):
    the script's too.
    """
    return fn(*args, **kwargs)


def _ours(frame: FrameType) -> bool:
    name = frame.f_globals.get("__name__")
    return isinstance(name, str) and (name == "gradscope" or name.startswith("gradscope."))


def raised_by_user(exc: BaseException) -> bool:
    """True if the deepest gradscope frame of the traceback is a hand-off to user code."""
    deepest: FrameType | None = None
    tb = exc.__traceback__
    while tb is not None:
        if _ours(tb.tb_frame):
            deepest = tb.tb_frame
        tb = tb.tb_next
    return deepest is not None and deepest.f_code is call_user.__code__


def blame(exc: BaseException, message: str) -> GradscopeError:
    """ScriptError(message) if the user's code raised `exc`, else an InternalError. Raise it `from exc`."""
    if raised_by_user(exc):
        return ScriptError(message)
    return InternalError.of(exc)
