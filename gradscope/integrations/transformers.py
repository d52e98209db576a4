"""GradscopeCallback for the Hugging Face `Trainer` (transformers 5.x, with accelerate).

    trainer = Trainer(model=model, args=args, train_dataset=data, callbacks=[GradscopeCallback()])
    trainer.train()   # prints the report at the end; gradscope.json in args.output_dir

It attaches to the Trainer's model and optimizer as soon as the optimizer exists
(at `on_train_begin`, or at the first step when the optimizer is made later),
takes the loss the Trainer computes in `training_step`, adds the figures to the
Trainer's logs at its logging steps (so every `report_to` backend gets them),
and writes the report into `output_dir` when training ends.

Callbacks are not given the Trainer itself. The callback finds it once, when
training begins, as the object running the callback loop (a few frames up the call
stack), and needs it for two things a callback cannot otherwise do: to read the
loss `training_step` returns, and to run its `on_log` before the reporting
callbacks, so the figures it adds to the logs reach them. The console printer,
which the Trainer puts last, gets the logs without the figures.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradscope.integrations import METRIC_PREFIX, Options, Recordings, require

_transformers = require(["transformers"], "transformers")
require(["accelerate"], "transformers")

if TYPE_CHECKING:
    from transformers import TrainerCallback as _Callback
else:
    _Callback = _transformers.TrainerCallback

# How far up the call stack the Trainer is looked for: the hook is called by
# CallbackHandler.call_event, called by CallbackHandler.on_train_begin, called by the Trainer.
SEARCH_FRAMES = 8


class GradscopeCallback(_Callback):
    """Gradient health of a Trainer run; options as gradscope.integrations.Options.

    After training, `reports` holds the Report.
    """

    def __init__(self, *, every: int = 1, memory: str = "exact", plots: bool = False, fail_on: str = "never") -> None:
        self.options = Options(every=every, memory=memory, plots=plots, fail_on=fail_on)
        self._run = Recordings(self.options, door="transformers")
        self._trainer: Any = None
        self._model: Any = None
        self._loss: Any = None  # the sum of this step's training_step losses (see _wrap)

    @property
    def reports(self) -> list[Any]:
        return self._run.reports

    # -- finding the Trainer -----------------------------------------------------------
    def _find_trainer(self) -> Any:
        frame = inspect.currentframe()
        for _ in range(SEARCH_FRAMES):
            if frame is None:
                break
            owner = frame.f_locals.get("self")
            if isinstance(owner, _transformers.Trainer):
                return owner
            frame = frame.f_back
        raise RuntimeError(
            "gradscope's GradscopeCallback found no transformers.Trainer running it; "
            "pass it as Trainer(callbacks=[GradscopeCallback()]) or trainer.add_callback(...)"
        )

    def _wrap(self, trainer: Any) -> None:
        """Read the loss each `training_step` returns (already divided for gradient accumulation,
        so a step's micro-batch losses add up to the step's loss)."""
        if getattr(trainer.training_step, "_gradscope", False):
            return
        original = trainer.training_step

        def training_step(*args: Any, **kwargs: Any) -> Any:
            loss = original(*args, **kwargs)
            # Also before the recorder is attached: attached at the step's optimizer.step(), it
            # still gets the whole step's loss.
            if hasattr(loss, "detach"):
                value = loss.detach()
                self._loss = value if self._loss is None else self._loss + value
            return loss

        training_step._gradscope = True  # type: ignore[attr-defined]
        training_step._original = original  # type: ignore[attr-defined]
        trainer.training_step = training_step

    @staticmethod
    def _unwrap(trainer: Any) -> None:
        if getattr(trainer.training_step, "_gradscope", False):
            # The wrapper is an attribute of the instance; deleting it shows the class's method again.
            del trainer.training_step

    # -- the Trainer's events ----------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        trainer = self._trainer = self._find_trainer()
        callbacks = trainer.callback_handler.callbacks
        # Before the reporting callbacks (TensorBoard, W&B, ...), which the Trainer puts ahead of
        # the user's: on_log adds the figures to the logs they then write.
        if self in callbacks:
            callbacks.remove(self)
            callbacks.insert(0, self)
        _hide_from_printers(callbacks)
        self._wrap(trainer)
        self._loss = None
        self._model = kwargs.get("model")
        self._attach(kwargs.get("optimizer"))

    def _attach(self, optimizer: Any) -> None:
        if self._run.attached or optimizer is None or self._model is None:
            return
        scaler = getattr(getattr(self._trainer, "accelerator", None), "scaler", None)
        self._run.attach(self._model, [optimizer], scaler=scaler)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._loss = None  # a new update step: its micro-batches' losses start here
        # The optimizer can be made after on_train_begin (DeepSpeed, some FSDP set-ups).
        self._attach(kwargs.get("optimizer"))

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._attach(kwargs.get("optimizer"))
        if self._run.attached:
            self._run.stepping(self._run.recorders[0].optimizer)

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # After optimizer.step(): the probe has closed the step's record, which takes this loss.
        if self._run.attached:
            self._run.hand_loss(self._loss)
        self._loss = None

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        self._run.poll()
        if self._run.stop_reason is not None and not control.should_training_stop:
            control.should_training_stop = True
            if state.is_world_process_zero:
                print(self._run.stop_reason)
        return control

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if logs is not None and self._run.attached:
            logs.update(self._run.metrics())

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._trainer is not None:
            self._unwrap(self._trainer)
        if not self._run.attached:
            return
        show = bool(state.is_world_process_zero)
        directory = Path(args.output_dir) if args.output_dir else None
        if directory is not None and show:
            directory.mkdir(parents=True, exist_ok=True)
        self._run.finish(directory, show=show)


# The Trainer's console loggers print every log dict whole; a layer's figures would bury the loss.
PRINTERS = ("PrinterCallback", "ProgressCallback", "NotebookProgressCallback")


class _HideFigures(_Callback):
    """Takes gradscope's figures out of the logs again before the console loggers print them
    (they come after the reporting callbacks, which have written them by then)."""

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if logs is not None:
            for key in [k for k in logs if k.startswith(f"{METRIC_PREFIX}/")]:
                del logs[key]


def _hide_from_printers(callbacks: list[Any]) -> None:
    if any(isinstance(c, _HideFigures) for c in callbacks):
        return
    at = next((i for i, c in enumerate(callbacks) if type(c).__name__ in PRINTERS), None)
    if at is not None:
        callbacks.insert(at, _HideFigures())
