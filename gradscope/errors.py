"""Errors gradscope reports to the user as one line and an exit code.

Anything the user's script does wrong becomes a ScriptError (exit 3); anything
wrong with how gradscope was called becomes a UsageError (exit 2).
"""

from __future__ import annotations


class GradscopeError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code = 1


class UsageError(GradscopeError):
    """Bad option, missing file, device not available, unreadable report."""

    exit_code = 2


class ScriptError(GradscopeError):
    """The user's script failed or does not follow the script contract."""

    exit_code = 3
