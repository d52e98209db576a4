"""GradscopeCallback for PyTorch Lightning 2.x (`lightning` or `pytorch_lightning`).

    trainer = L.Trainer(callbacks=[GradscopeCallback()])
    trainer.fit(module, loader)   # prints the report at the end; gradscope.json in trainer.log_dir

It attaches to the trainer's optimizers when fitting starts (one recorder per
optimizer: manual optimisation with two optimizers observes both), takes each
step's loss from the training step's output, logs grouped figures through the
module's loggers at the recorded steps, and at the end of the fit prints the
report on global rank 0 and writes it into the trainer's log directory.

The probe hooks the torch optimizer's step(), so it sees the gradients Lightning
steps on: accumulated over `accumulate_grad_batches`, clipped by
`gradient_clip_val`, unscaled under "16-mixed". It never writes to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradscope.integrations import Options, Recordings, require

# The callback must be an instance of the Callback class of whichever Lightning the user's
# Trainer comes from; with both packages installed, it subclasses both.
_BASES: list[type] = []
for _name in ("lightning.pytorch", "pytorch_lightning"):
    try:
        _BASES.append(require([_name], "lightning").Callback)
    except ImportError:
        continue
if not _BASES:
    require(["lightning.pytorch", "pytorch_lightning"], "lightning")  # raises the one-line error

if TYPE_CHECKING:
    from lightning.pytorch import Callback as _Callback
else:
    _Callback = type("_Callback", tuple(_BASES), {})


class GradscopeCallback(_Callback):
    """Gradient health of a Lightning fit; options as gradscope.integrations.Options.

    After the fit, `reports` holds one Report per optimizer.
    """

    def __init__(self, *, every: int = 1, memory: str = "exact", plots: bool = False, fail_on: str = "never") -> None:
        super().__init__()
        self.options = Options(every=every, memory=memory, plots=plots, fail_on=fail_on)
        self._run = Recordings(self.options, door="lightning")
        self._losses: list[Any] = []  # this step's micro-batch losses, as the training steps returned them
        self._step_offset = 0

    @property
    def reports(self) -> list[Any]:
        return self._run.reports

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        # Optimisers exist by now (the strategy set them up before the fit's hooks run).
        scaler = getattr(trainer.precision_plugin, "scaler", None)
        self._run.attach(pl_module, list(trainer.optimizers), scaler=scaler)
        self._losses = []
        # Lightning logs a batch's metrics at the count of batches that stepped before it; a resumed
        # fit starts that count where it stopped. (Private in Lightning 2.x, hence the fallback.)
        self._step_offset = int(getattr(trainer.fit_loop.epoch_loop, "_batches_that_stepped", 0))

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        self._run.stepping(optimizer)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if not self._run.attached:
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None and hasattr(loss, "detach"):
            # Under automatic optimisation Lightning hands back the loss divided by the
            # accumulation count (what it backpropagated); the step's loss is the micro-batches' mean.
            scale = trainer.accumulate_grad_batches if pl_module.automatic_optimization else 1
            self._losses.append(loss.detach() * scale if scale != 1 else loss.detach())
        if self._run.stepped:
            self._run.hand_loss(Recordings.mean_loss(self._losses))
            self._losses = []
        self._run.poll()
        if pl_module.loggers:
            figures = self._run.metrics()
            if figures:
                for logger in pl_module.loggers:
                    logger.log_metrics(figures, step=self._step_offset + self._run.last_step)
        if self._run.stop_reason is not None and not trainer.should_stop:
            trainer.should_stop = True
            if trainer.is_global_zero:
                print(self._run.stop_reason)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._run.attached:
            return
        directory = Path(trainer.log_dir) if trainer.log_dir is not None else None
        if directory is not None and trainer.is_global_zero:
            directory.mkdir(parents=True, exist_ok=True)
        self._run.finish(directory, show=trainer.is_global_zero)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        # The fit is over without on_fit_end: take the hooks off the user's optimizers.
        self._run.detach(failed=True)
