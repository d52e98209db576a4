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

from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


class GradscopeError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = 1


class UsageError(GradscopeError):
    """Bad option, missing file, device not available, unreadable report."""

    exit_code = 2


class ScriptError(GradscopeError):
    """The user's script failed or does not follow the script contract."""

    exit_code = 3


class InternalError(GradscopeError):
    """A bug in gradscope: `str(err)` is `Type: message` of what was raised; the CLI adds the traceback."""

    exit_code = 4

    @classmethod
    def of(cls, exc: BaseException) -> InternalError:
        try:
            raw = str(exc).strip()
        except Exception:  # an exception whose __str__ itself fails
            raw = ""
        text = raw.splitlines()[0] if raw else ""
        return cls(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


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
