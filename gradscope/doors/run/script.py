"""`gradscope run train.py ARGS`: diagnose an unmodified training script, as `python -m cProfile` profiles one.

The script runs as `__main__` with its own argv, as Python would run it (its
folder first on sys.path, the working directory left alone). Nothing in it is
changed: gradscope observes it from outside, through torch's global optimizer
step hooks, so every optimizer the script creates is found when it first steps.
That optimizer's parameters are traced to the modules that own them and to the
model (the outermost module) holding those, and a `Watch` on that model and
optimizer does the measuring, as `gradscope.watch` would inside the loop.

The loss is the scalar the script calls backward() on before each step (the sum
of them under gradient accumulation: that sum is what the stepped gradient is
the gradient of). After the measured steps gradscope raises `StopScript`, a
BaseException, from the step's post-hook: the step is complete, and the script's
`finally` blocks and context managers run as it unwinds.

Ctrl-C reaches the script as it would under Python (a KeyboardInterrupt). SIGTERM, which
would end the process with nothing written, is turned into `Terminated` (a
KeyboardInterrupt) while the script runs, unless the script handles SIGTERM itself: the
script unwinds as for Ctrl-C, and the steps measured so far are reported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import runpy
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from gradscope.config import ScriptRun
from gradscope.doors.run import models as runmodels
from gradscope.errors import InternalError, ScriptError, UsageError, call_user, raised_by_user
from gradscope.recording.merge import Observed, merge, reworded

if TYPE_CHECKING:
    import torch
    from torch import nn

    from gradscope.data.records import Report

# Past this many steps of its busiest optimizer, a run stops without waiting for an optimizer that
# steps rarely (one per 10 iterations, say) to reach --steps too.
PATIENCE = 4
# backward() calls with no optimizer step yet after which a script run with a step limit is
# stopped: nothing gradscope run can observe is coming (a hand-written update, or none), and the
# script could train for hours first. Generous for accumulation (LLM recipes accumulate a few hundred).
BACKWARD_WITHOUT_STEP = 1000


class StopScript(BaseException):
    """Ends the script at a step boundary. Not an Exception, so the script's `except Exception`
    does not swallow it, while its `finally` blocks and `with` exits still run."""


class ScriptCrashed(ScriptError):
    """The script raised (or exited non-zero); `shown` is its traceback as Python would print it."""

    def __init__(self, message: str, shown: str = "") -> None:
        super().__init__(message)
        self.shown = shown


@dataclass(frozen=True)
class Outcome:
    """A report over the steps measured; `crash` when the script failed after its first step."""

    report: Report
    crash: ScriptCrashed | None = None
    interrupted: str | None = None  # "Ctrl-C" or "SIGTERM": the report covers the steps before it
    main: bool = True  # this process speaks for the run: rank 0 of a torch.distributed job, or the only one


# ---------------------------------------------------------------- running the script


def _check_module(name: str) -> None:
    """Called with the working directory first on sys.path, where python -m looks too."""
    import importlib.util

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


@contextlib.contextmanager
def as_python_would(run: ScriptRun) -> Iterator[None]:
    """sys.argv and sys.path[0] as `python SCRIPT ARGS` (or `python -m`) sets them; afterwards argv,
    sys.path, the working directory and the modules the script imported from its folder are put
    back, so the process (a test run, a notebook) is as it was."""
    from gradscope.load.script import forget, no_bytecode

    saved_argv, saved_path, saved_cwd = list(sys.argv), list(sys.path), Path.cwd()
    preexisting = frozenset(sys.modules)
    if run.module:
        folder = saved_cwd  # python -m puts the working directory first
    else:
        path = Path(run.script).resolve()
        folder = path if path.is_dir() else path.parent
    sys.argv = [run.script, *run.args]
    sys.path.insert(0, str(folder))
    try:
        # No __pycache__ written beside the user's files.
        with no_bytecode():
            yield
    finally:
        forget(folder, preexisting)
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path
        if Path.cwd() != saved_cwd:
            os.chdir(saved_cwd)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while the script ran: it unwinds as for Ctrl-C (its `except
    KeyboardInterrupt` and `finally` blocks run), and what was measured is reported."""


@dataclass
class Arrived:
    """Whether SIGTERM came while the script ran, whatever the script then did with it."""

    sigterm: bool = False


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[Arrived]:
    """Within the block, SIGTERM raises Terminated in the main thread; a second one ends the
    process as it would without gradscope. Left alone when the script's process already handles
    SIGTERM, and from a worker thread, where handlers cannot be set."""
    arrived = Arrived()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
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


def _execute(run: ScriptRun) -> None:
    # runpy is called through call_user itself: a gradscope frame between the two would make
    # the script's own exceptions look like gradscope's (errors.blame).
    if run.module:
        # alter_sys: the module is __main__ in sys.modules and argv[0] its file, as under python -m.
        call_user(runpy.run_module, run.script, run_name="__main__", alter_sys=True)
    else:
        call_user(runpy.run_path, run.script, run_name="__main__")


def run_script(run: ScriptRun) -> Outcome:
    """Run the script under observation, stop it when measured, and judge. Raises GradscopeError."""
    if not run.module:
        _check_file(run)
    started = time.perf_counter()
    # Everything gradscope needs later is imported now: the script's folder (or for -m the
    # working directory) is forgotten afterwards, and gradscope must not be among what goes.
    import gradscope.advice.report
    import gradscope.recording.watch  # noqa: F401
    from gradscope.doors import session as runner
    from gradscope.load.script import quiet_stdout

    if run.seed is not None:
        runner.seed_everything(run.seed)
    observer = Observer(run.steps, run.every, run.budget)
    crash: BaseException | None = None
    interrupted: str | None = None
    with as_python_would(run), contextlib.ExitStack() as stack:
        if run.module:
            _check_module(run.script)
        stack.enter_context(observer)
        arrived = stack.enter_context(sigterm_unwinds())
        try:
            with quiet_stdout():
                _execute(run)
        except StopScript:
            pass
        except SystemExit as exc:
            if exc.code not in (None, 0):
                crash = exc
        except KeyboardInterrupt:
            if not observer.observed:
                raise
            interrupted = "Ctrl-C"  # what was measured is judged (SIGTERM is told apart below)
        except BaseException as exc:
            # Also an exception of the script's clean-up while the stop unwound it (a checkpoint
            # that failed to write in `finally`): its files may not be whole, so it is a failure.
            if not raised_by_user(exc):
                raise InternalError.of(exc) from exc
            crash = exc
    wall = time.perf_counter() - started
    if arrived.sigterm and observer.observed:
        # Also when the script caught the KeyboardInterrupt (to save a checkpoint, or to go on to
        # its evaluation, as word_language_model does): the run was still cut short.
        interrupted = "SIGTERM"
    if crash is not None and not observer.observed:
        raise _crashed(run, crash, "before its first optimizer step") from crash
    if not observer.observed:
        raise ScriptError(observer.why_nothing(run.short))
    report = observer.report(run, wall)
    if interrupted:
        steps = len(report.record.steps)
        note = f"interrupted ({interrupted}) after {steps} measured step(s); the report covers them"
        # Marked partial as a stopped `diagnose` is, so a reader of the JSON sees it too.
        cut = f"running the script, after {steps} measured step(s)"
        run_info = replace(report.record.run, partial=True, cut=cut)
        report = replace(report, record=replace(report.record, run=run_info), notes=(note, *report.notes))
        return Outcome(report, interrupted=interrupted, main=observer.main)
    if crash is None:
        return Outcome(report, main=observer.main)
    when = "in its own clean-up as gradscope stopped it" if observer.stopped else "after the steps the report covers"
    return Outcome(report, _crashed(run, crash, when), main=observer.main)


def _crashed(run: ScriptRun, exc: BaseException, when: str) -> ScriptCrashed:
    from gradscope.load.script import describe

    if isinstance(exc, SystemExit):
        # argparse and friends print their own message before exiting: no traceback to add.
        return ScriptCrashed(f"{run.short} exited with {describe(exc)} {when} (its own message is above)")
    at = _where(exc)
    return ScriptCrashed(f"{run.short} raised {describe(exc)} {when}{at}; fix the script", user_traceback(exc))


def _where(exc: BaseException) -> str:
    """' (train.py:12)' for the deepest frame outside gradscope, installed packages and the standard library."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if not _hidden(name) and "site-packages" not in name and "/lib/python" not in name:
            found = f" ({Path(frame.filename).name}:{frame.lineno})"
    return found


_OURS = str(Path(__file__).resolve().parent)


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


# ---------------------------------------------------------------- observing


@dataclass
class Observer:
    """Global hooks on every optimizer's step and on backward() while the script runs."""

    steps: int | None
    every: int
    budget: float | None = None
    observed: list[Observed] = field(default_factory=list)
    stopped: bool = False
    out_of_time: bool = False
    backward_calls: int = 0
    created: list[str] = field(default_factory=list)  # class names of the optimizers constructed
    classes: int | None = None  # of the cross-entropy the script's loss is, when it is one
    # Under torchrun every rank runs gradscope; each rank's figures are the job's (the watch reduces
    # them), and only rank 0 prints and writes. Asked when a model is first seen: the script may
    # destroy its process group before it ends.
    main: bool = True

    def __post_init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._alive: weakref.WeakSet[Any] = weakref.WeakSet()
        self._pending: list[torch.Tensor] = []
        self._last: tuple[object, torch.Tensor] | None = None  # (who took it, loss) of the last step
        self._stepping = False
        self._root_owner: dict[int, int] = {}  # id(model) -> index of the first Observed on it
        self._steps_taken = 0
        self._started = time.perf_counter()
        self._labels: dict[int, str] = {}  # id(model) -> its name in the report
        # GradScaler: the last scaled loss and the loss before scaling; the scaler, so skips are counted.
        self._unscaled: tuple[torch.Tensor, torch.Tensor] | None = None
        self._scaler: Any = None

    # -- installing ------------------------------------------------------------------
    def __enter__(self) -> Observer:
        import torch
        from torch.optim import optimizer as optim

        pre = optim.register_optimizer_step_pre_hook(self._pre_step)
        self._undo.append(pre.remove)
        post = optim.register_optimizer_step_post_hook(self._post_step)
        self._undo.append(post.remove)
        self._patch(torch.autograd, "backward", self._backward_wrapper)
        self._patch(torch.optim.Optimizer, "__init__", self._init_wrapper)
        scaler = torch.amp.GradScaler
        self._patch(scaler, "scale", self._scale_wrapper)
        self._patch(scaler, "step", self._scaler_step_wrapper)
        return self

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._pending.clear()
        for o in self.observed:
            o.watch.__exit__(None, None, None)

    def _backward_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        observer = weakref.ref(self)

        @functools.wraps(original)
        def backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
            me = observer()
            if me is not None and me._undo:
                me._saw_backward(tensors)
            return call_user(original, tensors, *args, **kwargs)

        return backward

    def _init_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        observer = weakref.ref(self)

        @functools.wraps(original)
        def init(optimizer: Any, *args: Any, **kwargs: Any) -> None:
            me = observer()
            if me is not None and me._undo:
                me.created.append(type(optimizer).__name__)
                me._alive.add(optimizer)
            call_user(original, optimizer, *args, **kwargs)

        return init

    def _scale_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        observer = weakref.ref(self)

        @functools.wraps(original)
        def scale(scaler: Any, outputs: Any) -> Any:
            import torch

            scaled = call_user(original, scaler, outputs)
            me = observer()
            if me is not None and me._undo and scaled is not outputs:
                me._scaler = scaler
                if isinstance(outputs, torch.Tensor) and outputs.numel() == 1:
                    me._unscaled = (scaled, outputs.detach().reshape(()))
            return scaled

        return scale

    def _scaler_step_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        observer = weakref.ref(self)

        @functools.wraps(original)
        def step(scaler: Any, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            me = observer()
            before = me._steps_taken if me is not None else 0
            result = call_user(original, scaler, optimizer, *args, **kwargs)
            if me is not None and me._undo and me._steps_taken == before:
                # Inf/NaN gradients: GradScaler skipped optimizer.step(); this iteration's losses
                # belong to no step (the probe counts the skip from the drop in scale).
                me._pending.clear()
            return result

        return step

    # -- the loss ----------------------------------------------------------------------
    def _saw_backward(self, tensors: Any) -> None:
        import torch

        self.backward_calls += 1
        if self.steps is not None and self._steps_taken == 0 and self.backward_calls > BACKWARD_WITHOUT_STEP:
            self.stopped = True
            raise StopScript
        if self._stepping:
            return  # a closure's backward inside step(): the probe takes the closure's own loss
        given = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
        for t in given:
            if isinstance(t, torch.Tensor) and t.numel() == 1:
                scaled = self._unscaled
                if scaled is not None and scaled[0] is t:
                    self._pending.append(scaled[1])  # the loss, not the loss times GradScaler's scale
                    self._unscaled = None
                else:
                    # Kept as given (not detached: one op less per step); the probe detaches it
                    # when it takes the step's loss, as it does a loss handed to watch.
                    self._pending.append(t)
                if self.classes is None and self.backward_calls <= runmodels.CLASS_LOOKS:
                    self.classes = runmodels.classes_of(t)

    def _take_loss(self, optimizer: object) -> torch.Tensor | None:
        """The loss of this step: the scalars backward() ran on since the last step. None
        new since a step of another optimizer: both stepped on one backward, so it is shared."""
        import torch

        if self._pending:
            losses, self._pending = self._pending, []
            if len(losses) == 1:
                value = losses[0]
            else:
                value = torch.stack([v.detach().reshape(()).to(torch.float64) for v in losses]).sum()
            self._last = (optimizer, value)
            return value
        if self._last is not None and self._last[0] is not optimizer:
            value = self._last[1]
            self._last = (optimizer, value)
            return value
        return None

    # -- the hooks ----------------------------------------------------------------------
    def _pre_step(self, optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        if self.stopped:
            raise StopScript  # the script caught the stop and went on: end it at this step
        found = next((o for o in self.observed if o.optimizer is optimizer), None)
        if found is None:
            found = self._observe(optimizer)
        self._steps_taken += 1
        loss = self._take_loss(optimizer)
        if loss is not None:
            found.watch.probe.set_step_loss(loss)
        self._stepping = True

    def _post_step(self, _optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        self._stepping = False
        if self.budget is not None and time.perf_counter() - self._started >= self.budget:
            self.stopped = self.out_of_time = True
            raise StopScript
        if self.steps is None:
            return
        counts = [len(o.watch.probe.records) for o in self.observed]
        if max(counts) >= self.steps and (min(counts) >= self.steps or max(counts) >= PATIENCE * self.steps):
            self.stopped = True
            raise StopScript

    def _observe(self, optimizer: torch.optim.Optimizer) -> Observed:
        from gradscope.recording.watch import Watch

        params = [p for g in optimizer.param_groups for p in g["params"]]
        held = frozenset(id(p) for p in params)
        earlier = next((o for o in self.observed if o.held == held), None)
        if earlier is not None:
            return self._renew(earlier, optimizer)
        roots, loose = runmodels.owning_roots(params, runmodels.live_modules())
        others = {
            id(p) for other in self._alive if other is not optimizer for g in other.param_groups for p in g["params"]
        }
        named = [(runmodels.script_name(root, type(root).__name__), root) for root in roots]
        if loose:
            named.append(("tensors", runmodels.holder_of(loose)))
        named = self._distinct(named)
        firsts = {id(root) for _, root in named if id(root) not in self._root_owner}
        for _, root in named:
            self._root_owner.setdefault(id(root), len(self.observed))
        shared = any(id(p) in others for _, root in named for p in root.parameters())
        model: nn.Module
        if len(named) == 1 and not shared:
            model, prefixed = named[0][1], False
        else:
            first_of = {id(m): id(root) for _, root in named for m in root.modules()}

            def keep(module: nn.Module) -> bool:
                own = [id(p) for p in module._parameters.values() if p is not None]
                if not own or any(i in held for i in own):
                    return True
                # Layers no optimizer holds (frozen, forgotten) go to the first view of their model,
                # as `diagnose` shows them.
                return first_of.get(id(module)) in firsts and not any(i in others for i in own)

            prefixed = len(named) > 1
            model = runmodels.view_class()(named if prefixed else [("", named[0][1])], keep)
        watch = Watch(model, optimizer, every=self.every, scaler=self._scaler)
        watch.__enter__()
        # Without a process group yet (made after the first step), torchrun's RANK still says
        # which process speaks: its figures are then this rank's own, but the files are written once.
        alone = watch.probe.ranks is None and os.environ.get("RANK", "0") != "0"
        self.main = self.main and watch.main and not alone
        label = runmodels.script_name(optimizer, f"{type(optimizer).__name__} #{len(self.observed) + 1}")
        observed = Observed(optimizer, watch, label, named, prefixed, held)
        self.observed.append(observed)
        return observed

    def _renew(self, earlier: Observed, optimizer: torch.optim.Optimizer) -> Observed:
        """A new optimizer over the parameters of one already measured (a script that builds its
        optimizer again each epoch or stage): the same probe goes on, hooked to the new one, so
        the steps stay one series. (Its step hooks registered here still run for this step:
        torch reads an optimizer's own hooks after the global ones.)"""
        probe = earlier.watch.probe
        probe.detach()
        probe.optimizer = earlier.watch.optimizer = earlier.optimizer = optimizer
        probe.attach()
        earlier.renewed += 1
        return earlier

    def _distinct(self, named: list[tuple[str, nn.Module]]) -> list[tuple[str, nn.Module]]:
        """One name per model: the name it got from an earlier optimizer, else its own made unique."""
        out: list[tuple[str, nn.Module]] = []
        for label, root in named:
            name = self._labels.get(id(root))
            if name is None:
                used = set(self._labels.values())
                name, n = label, 2
                while name in used:
                    name, n = f"{label}{n}", n + 1
                self._labels[id(root)] = name
            out.append((name, root))
        return out

    def why_nothing(self, script: str) -> str:
        """One line for a script that stepped no optimizer."""
        stopped = " (gradscope stopped it there)" if self.stopped else ""
        if self.created:
            calls = f" after {self.backward_calls} backward() call(s){stopped}" if self.backward_calls else ""
            return (
                f"{script} created {', '.join(self.created)} but never called its step(){calls}, so nothing was "
                "measured; gradscope run observes the steps of torch.optim optimizers"
            )
        if self.backward_calls:
            return (
                f"{script} called backward() {self.backward_calls} time(s){stopped} but stepped no torch.optim "
                "optimizer: it updates its weights by hand (e.g. p.data.add_(...)) or not at all, which gradscope "
                "cannot observe; use a torch.optim optimizer, or write a model script for `gradscope diagnose`"
            )
        return (
            f"{script} finished without creating a torch.optim optimizer, so there was no training to "
            "diagnose; check the script's arguments (is training switched off?)"
        )

    # -- the report ----------------------------------------------------------------------
    def report(self, run: ScriptRun, wall: float) -> Report:
        from gradscope.advice.report import build_report

        record, notes = merge(self.observed, run, wall)
        # Losses were seen, but no one curve came of them: each optimizer stepped on its own.
        mixed = record.run.loss_source == "none" and any(
            s.loss is not None for o in self.observed for s in o.watch.probe.records
        )
        if record.run.loss_source != "none" and self.classes is not None:
            record = replace(record, run=replace(record.run, classes=self.classes))
        done = max(o.watch.probe.steps_seen for o in self.observed)
        for o in self.observed:
            if o.renewed:
                notes.append(
                    f"{run.short} built a new {type(o.optimizer).__name__} over the same parameters "
                    f"{o.renewed} time(s); its steps are measured as one series ({o.label})"
                )
        if self.out_of_time:
            notes.insert(
                0,
                f"gradscope stopped {run.short} after {done} step(s), at a step boundary, when its "
                f"--budget of {self.budget:g} s ran out",
            )
        elif self.stopped:
            notes.insert(0, f"gradscope stopped {run.short} after {done} step(s), at a step boundary")
        elif run.steps is not None and len(record.steps) < run.steps:
            notes.insert(0, f"{run.short} ended after {done} step(s), before --steps {run.steps}")
        report = build_report(record, None, replay=False, notes=tuple(notes), extra={"argv": [run.name, *run.args]})
        return replace(report, notes=reworded(report.notes, run, mixed, bool(report.recommendations)))
