"""Ctrl-C and SIGTERM while a door runs: what was measured is still judged and written.

SIGTERM is how CI and schedulers cancel a job; without gradscope it ends the
process with nothing written. Each door turns the first signal into something
it can stop at:

- `diagnose` (`interruptible`): a first SIGINT or SIGTERM asks the run to stop
  at the next step boundary (the Clock's stop request); a second quits at once.
- `run` (`sigterm_unwinds`): Ctrl-C reaches the script as a KeyboardInterrupt,
  as it would under Python; SIGTERM is turned into `Terminated`, a
  KeyboardInterrupt, so the script unwinds (its `finally` blocks run) and the
  steps measured so far are reported. A script's own SIGTERM handler is kept.

Handlers can only be set from the main thread; gradscope called from a worker
thread leaves the signals their usual effect.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from gradscope.advice.budget import Clock
from gradscope.errors import EXIT_INTERRUPTED


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def interruptible(clock: Clock) -> Iterator[Clock]:
    """Within the block, a first SIGINT/SIGTERM sets clock.stop_requested; a second quits at once."""
    if not _main_thread():
        yield clock
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if clock.stop_requested is not None:
            # A KeyboardInterrupt raised here could land in the user's code or an autograd hook
            # and be caught or converted there; the user asked to quit, so quit.
            sys.stderr.write("gradscope: error: interrupted again; quitting, nothing was written\n")
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        clock.stop_requested = signal.Signals(signum).name

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield clock
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while the script ran: it unwinds as for Ctrl-C (its `except
    KeyboardInterrupt` and `finally` blocks run), and what was measured is reported."""


@dataclass
class Arrived:
    """Whether SIGTERM came while the script ran, whatever the script then did with it."""

    sigterm: bool = False


@contextmanager
def sigterm_unwinds() -> Iterator[Arrived]:
    """Within the block, SIGTERM raises Terminated in the main thread; a second one ends the
    process as it would without gradscope. Left alone when the script's process already handles
    SIGTERM."""
    arrived = Arrived()
    if not _main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield arrived
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        arrived.sigterm = True
        raise Terminated("SIGTERM")

    signal.signal(signal.SIGTERM, handler)
    try:
        yield arrived
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
