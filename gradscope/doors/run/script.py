"""`gradscope run train.py ARGS`: diagnose an unmodified training script, as `python -m cProfile` profiles one.

The script runs as `__main__` with its own argv, as Python would run it (its
folder first on sys.path, the working directory left alone: load/sandbox.py).
Nothing in it is changed: gradscope observes it from outside (observer.py),
through torch's global optimizer step hooks and a few patched torch functions
(patches.py), so every optimizer the script creates is found when it first
steps. That optimizer's parameters are traced to the model holding them
(models.py), and a `Watch` on that model and optimizer does the measuring, as
`gradscope.watch` would inside the loop.

The loss is the scalar the script calls backward() on before each step
(losses.py). After the measured steps gradscope raises `StopScript` from the
step's post-hook (stopping.py): the step is complete, and the script's `finally`
blocks and context managers run as it unwinds.

Ctrl-C reaches the script as it would under Python (a KeyboardInterrupt). SIGTERM, which
would end the process with nothing written, is turned into a KeyboardInterrupt while the
script runs, unless the script handles SIGTERM itself (doors/signals.py): the script unwinds
as for Ctrl-C, and the steps measured so far are reported. This module runs the script and
says how it ended: the report, the script's failure in one line, or why nothing was measured.
"""

from __future__ import annotations

import contextlib
import importlib.util
import runpy
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from gradscope.config import ScriptRun
from gradscope.data.records import Report
from gradscope.doors import signals
from gradscope.doors.run.observer import Observer
from gradscope.doors.run.stopping import StopScript
from gradscope.doors.session import seed_everything
from gradscope.errors import InternalError, ScriptError, UsageError, call_user, describe, raised_by_user, where
from gradscope.load.sandbox import as_python_would, quiet_stdout

# The frames between the user and their own code: gradscope's (the run door's patched torch
# functions, call_user, the SIGTERM handler) and runpy's.
_OURS = str(Path(__file__).resolve().parents[2])


class ScriptCrashed(ScriptError):
    """The script raised (or exited non-zero); `shown` is its traceback as Python would print it."""


@dataclass(frozen=True)
class Outcome:
    """A report over the steps measured; `crash` when the script failed after its first step."""

    report: Report
    crash: ScriptCrashed | None = None
    interrupted: str | None = None  # "Ctrl-C" or "SIGTERM": the report covers the steps before it
    main: bool = True  # this process speaks for the run: rank 0 of a torch.distributed job, or the only one


@dataclass
class Ended:
    """How the script's run ended, as far as the script itself goes."""

    crash: BaseException | None = None  # what it raised, or its SystemExit with a non-zero code
    interrupted: str | None = None  # "Ctrl-C" or "SIGTERM"


def run_script(run: ScriptRun) -> Outcome:
    """Run the script under observation, stop it when measured, and judge. Raises GradscopeError."""
    if not run.module:
        _check_file(run)
    started = time.perf_counter()
    # Everything gradscope needs later is imported with this module, before the script runs: the
    # script's folder (or for -m the working directory) is forgotten afterwards, and gradscope
    # must not be among what goes.
    if run.seed is not None:
        seed_everything(run.seed)
    observer = Observer(run.steps, run.every, run.budget)
    ended = _observe(run, observer)
    wall = time.perf_counter() - started
    crash, interrupted = ended.crash, ended.interrupted
    if crash is not None and not observer.observed:
        raise _crashed(run, crash, "before its first optimizer step") from crash
    if not observer.observed:
        raise ScriptError(why_nothing(observer, run.short))
    report = observer.report(run, wall, interrupted)
    if interrupted:
        return Outcome(report, interrupted=interrupted, main=observer.main)
    if crash is None:
        return Outcome(report, main=observer.main)
    when = "in its own clean-up as gradscope stopped it" if observer.stopped else "after the steps the report covers"
    return Outcome(report, _crashed(run, crash, when), main=observer.main)


def _observe(run: ScriptRun, observer: Observer) -> Ended:
    """Run the script as Python would, observed, until it ends or gradscope stops it."""
    ended = Ended()
    with as_python_would(run), contextlib.ExitStack() as stack:
        if run.module:
            _check_module(run.script)
        stack.enter_context(observer)
        arrived = stack.enter_context(signals.sigterm_unwinds())
        try:
            with quiet_stdout():
                _execute(run)
        except StopScript:
            pass
        except SystemExit as exc:
            if exc.code not in (None, 0):
                ended.crash = exc
        except KeyboardInterrupt:
            if not observer.observed:
                raise
            ended.interrupted = "Ctrl-C"  # what was measured is judged (SIGTERM is told apart below)
        except BaseException as exc:
            # Also an exception of the script's clean-up while the stop unwound it (a checkpoint
            # that failed to write in `finally`): its files may not be whole, so it is a failure.
            if not raised_by_user(exc):
                raise InternalError.of(exc) from exc
            ended.crash = exc
    if arrived.sigterm and observer.observed:
        # Also when the script caught the KeyboardInterrupt (to save a checkpoint, or to go on to
        # its evaluation, as word_language_model does): the run was still cut short.
        ended.interrupted = "SIGTERM"
    return ended


def _execute(run: ScriptRun) -> None:
    # runpy is called through call_user itself: a gradscope frame between the two would make
    # the script's own exceptions look like gradscope's (errors.blame).
    if run.module:
        # alter_sys: the module is __main__ in sys.modules and argv[0] its file, as under python -m.
        call_user(runpy.run_module, run.script, run_name="__main__", alter_sys=True)
    else:
        call_user(runpy.run_path, run.script, run_name="__main__")


def _check_module(name: str) -> None:
    """Called with the working directory first on sys.path, where python -m looks too."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"-m {name}: {exc}; run from the folder that holds it") from exc
    if found is None:
        raise UsageError(f"-m {name}: no such module here; run from the folder that holds it")


def _check_file(run: ScriptRun) -> None:
    path = Path(run.script)
    if not path.exists():
        raise UsageError(f"{path}: no such file; pass the path of your training script")
    if path.is_dir() and not (path / "__main__.py").exists():
        raise UsageError(f"{path} is a folder without __main__.py; pass the training script inside it")


# ---------------------------------------------------------------- how a run failed, in one line


def why_nothing(observer: Observer, script: str) -> str:
    """One line for a script that stepped no optimizer."""
    stopped = " (gradscope stopped it there)" if observer.stopped else ""
    calls = observer.backward_calls
    if observer.created:
        after = f" after {calls} backward() call(s){stopped}" if calls else ""
        return (
            f"{script} created {', '.join(observer.created)} but never called its step(){after}, so nothing was "
            "measured; gradscope run observes the steps of torch.optim optimizers"
        )
    if calls:
        return (
            f"{script} called backward() {calls} time(s){stopped} but stepped no torch.optim "
            "optimizer: it updates its weights by hand (e.g. p.data.add_(...)) or not at all, which gradscope "
            "cannot observe; use a torch.optim optimizer, or write a model script for `gradscope diagnose`"
        )
    return (
        f"{script} finished without creating a torch.optim optimizer, so there was no training to "
        "diagnose; check the script's arguments (is training switched off?)"
    )


def _crashed(run: ScriptRun, exc: BaseException, when: str) -> ScriptCrashed:
    if isinstance(exc, SystemExit):
        # argparse and friends print their own message before exiting: no traceback to add.
        return ScriptCrashed(f"{run.short} exited with {describe(exc)} {when} (its own message is above)")
    at = where(exc, _users)
    return ScriptCrashed(f"{run.short} raised {describe(exc)} {when}{at}; fix the script", user_traceback(exc))


def _users(filename: str) -> bool:
    """A file of the user's: not gradscope's, runpy's, an installed package's or the standard library's."""
    return not _hidden(filename) and "site-packages" not in filename and "/lib/python" not in filename


def _hidden(filename: str) -> bool:
    """gradscope's frames and runpy's: between the user and their own code, not part of it."""
    return filename.startswith(_OURS) or filename == "<frozen runpy>" or Path(filename).name == "runpy.py"


def user_traceback(exc: BaseException) -> str:
    """The traceback as `python train.py` would print it: gradscope's and runpy's frames left out."""
    shown = traceback.TracebackException.from_exception(exc)
    pending = [shown]
    while pending:
        part = pending.pop()
        part.stack = traceback.StackSummary.from_list([f for f in part.stack if not _hidden(f.filename)])
        pending += [p for p in (part.__cause__, part.__context__) if p is not None]
    return "".join(shown.format())
