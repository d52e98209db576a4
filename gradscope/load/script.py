"""User script -> Problem: the model, the batches and how to compute a loss.

gradscope runs other people's code, so every way a script can break the
script contract (docs/contract.md) ends in a ScriptError whose text names the
fix. The script is executed like `python SCRIPT` but under a module name other
than "__main__", with its folder first on sys.path and bytecode writing off, so
nothing the user gave is modified. Every call into the script's code goes
through `errors.call_user`, so that `errors.blame` can tell an exception of the
script from one gradscope raised meanwhile (an InternalError).
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from gradscope import errors
from gradscope.config import PRECISIONS
from gradscope.errors import GradscopeError, ScriptError, UsageError, blame, call_user, describe
from gradscope.load.sandbox import MODULE_NAME, PREEXISTING, no_bytecode

LossFn = Callable[["nn.Module", Any], "torch.Tensor"]
OptimizerFactory = Callable[[Iterable["torch.nn.Parameter"]], "torch.optim.Optimizer"]


@dataclass(frozen=True)
class Problem:
    """Everything gradscope needs from a script, validated."""

    script: Path
    model: nn.Module
    batches: tuple[Any, ...]  # as the script produced them, on their own device
    loss_of: LossFn  # (model, batch already on the model's device) -> scalar loss
    make_optimizer: OptimizerFactory
    default_optimizer: bool
    # "compute_loss", "loss" (the script's loss(output, target)) or "default" (the output's own
    # loss, else cross-entropy or mean-squared error)
    loss_source: str
    # Filled on the first forward: the classes of a cross-entropy loss gradscope computed or read
    # from a Hugging Face output's logits ({"classes": C}); empty when the loss is the script's own.
    loss_shape: dict[str, int] = field(default_factory=dict)
    # The script's `precision` (Lightning's names: "bf16-mixed", "16-mixed", "bf16-true", ...), if any.
    precision: str | None = None


def where(exc: BaseException, script: Path) -> str:
    """' (model.py:12)' for the deepest frame of the user's folder, or ''."""
    folder = script.parent.resolve()

    def inside(filename: str) -> bool:
        try:
            return Path(filename).resolve().is_relative_to(folder)
        except (OSError, ValueError):
            return False

    return errors.where(exc, inside)


# What a user's code can raise that must end in a one-line error, not in gradscope's exit:
# sys.exit() inside model(), data() or forward would otherwise end the run with the
# script's own exit code (0 included, so a CI check would pass in silence).
USER_ERRORS: tuple[type[BaseException], ...] = (Exception, SystemExit, GeneratorExit)


def import_script(path: Path) -> types.ModuleType:
    """Execute the script as a module named MODULE_NAME; raise ScriptError on failure."""
    if not path.exists():
        raise UsageError(f"{path}: no such file; pass the path of your model script")
    if path.is_dir():
        raise UsageError(f"{path} is a directory; pass the model script inside it (e.g. {path}/model.py)")
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror}); check its permissions") from exc
    if b"\x00" in source:
        raise ScriptError(f"{path} is not a Python file (it holds binary data); pass your model script")
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        at = f" at line {line}" if line else ""
        msg = getattr(exc, "msg", str(exc))
        raise ScriptError(f"{path.name} is not valid Python{at}: {msg}; fix the syntax") from exc

    module = types.ModuleType(MODULE_NAME)
    module.__file__ = str(path.resolve())
    # What was loaded before the script, so unload() only forgets what the script brought in.
    module.__dict__[PREEXISTING] = frozenset(sys.modules)
    folder = str(path.resolve().parent)
    sys.modules[MODULE_NAME] = module  # dataclasses and pickling look the module up here
    if folder not in sys.path[:1]:
        sys.path.insert(0, folder)
    try:
        # The script's prints go to stderr so gradscope's stdout stays the report.
        with no_bytecode(), contextlib.redirect_stdout(sys.stderr):
            call_user(exec, code, module.__dict__)
    except SystemExit as exc:
        raise ScriptError(
            f"{path.name} called sys.exit({exc.code!r}) while being imported; "
            'move that code under `if __name__ == "__main__":`'
        ) from exc
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise blame(
            exc, f"{path.name} raised {describe(exc)} while being imported{where(exc, path)}; fix the script"
        ) from exc
    return module


def _build_model(module: types.ModuleType, path: Path) -> nn.Module:

    if not hasattr(module, "model"):
        raise ScriptError(f"{path.name} defines no `model`; add `model = MyNet()` (an nn.Module)")
    value = module.model
    if not isinstance(value, nn.Module) and callable(value):
        try:
            value = call_user(value)
        except USER_ERRORS as exc:
            raise blame(exc, f"calling `model()` raised {describe(exc)}{where(exc, path)}") from exc
    if not isinstance(value, nn.Module):
        raise ScriptError(
            f"`model` is a {type(value).__name__}, not a torch.nn.Module; "
            "set `model` to an nn.Module or a function returning one"
        )
    return value


def _iterate(source: Any) -> Iterator[Any]:
    try:
        return call_user(iter, source)
    except TypeError as exc:
        raise ScriptError(
            f"`data` is a {type(source).__name__}, which is not iterable; "
            "make it a list, generator or DataLoader of (inputs, target) batches"
        ) from exc


def _collect_batches(module: types.ModuleType, path: Path, steps: int) -> tuple[Any, ...]:
    """Take `steps` batches, starting the data again when it runs out."""
    if not hasattr(module, "data"):
        raise ScriptError(f"{path.name} defines no `data`; add `data = [(inputs, target), ...]` or a DataLoader")
    raw = module.data
    is_factory = callable(raw) and not hasattr(raw, "__iter__")

    def fresh() -> Any:
        if not is_factory:
            return raw
        try:
            return call_user(raw)
        except USER_ERRORS as exc:
            raise blame(exc, f"calling `data()` raised {describe(exc)}{where(exc, path)}") from exc

    batches: list[Any] = []
    source = fresh()
    while len(batches) < steps:
        got = 0
        try:
            iterator = _iterate(source)
            while len(batches) < steps:
                batch = call_user(next, iterator, _END)
                if batch is _END:
                    break
                batches.append(batch)
                got += 1
        except GradscopeError:
            raise
        except USER_ERRORS as exc:
            raise blame(exc, f"iterating `data` raised {describe(exc)}{where(exc, path)}; fix the data") from exc
        if got == 0:
            if batches:
                break  # a one-shot iterator: reuse what it gave
            raise ScriptError("`data` yielded no batches; give it at least one (inputs, target) batch")
        if len(batches) >= steps:
            break
        if iterator is source:
            break  # a generator or iterator cannot start again: cycle what it gave
        source = fresh()
    for number, batch in enumerate(batches[:steps]):
        if _batch_size(batch) == 0:
            raise ScriptError(f"batch {number} of `data` has 0 samples; drop empty batches (e.g. drop_last=True)")
    # Fewer distinct batches than steps: cycle them, as a second epoch would.
    return tuple(batches[i % len(batches)] for i in range(steps))


_END = object()  # what next() gives back when `data` runs out


def _output_loss(output: Any) -> Any:
    """The loss a model output carries itself (Hugging Face style), or None."""
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, dict):
        loss = output.get("loss")
    return loss


def _default_loss(output: Any, target: Any) -> tuple[Any, str, int | None]:
    """The loss gradscope picks, its name, and the classes when it is a cross-entropy."""

    if isinstance(output, tuple | list) and output and isinstance(output[0], torch.Tensor):
        output = output[0]  # (logits, extras) outputs: the first element is the prediction
    if not isinstance(output, torch.Tensor):
        raise ScriptError(
            f"the model returned a {type(output).__name__} with no `.loss`; define "
            "`loss(output, target)` or `compute_loss(model, batch)` in the script"
        )
    if not isinstance(target, torch.Tensor):
        raise ScriptError(
            f"the batch target is a {type(target).__name__}, not a tensor; yield (inputs, target) "
            "with a tensor target, or define `compute_loss(model, batch)`"
        )
    if not target.is_floating_point():
        logits, labels = output, target
        if logits.dim() == labels.dim() + 1 and logits.shape[:-1] == labels.shape and logits.dim() > 2:
            logits, labels = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
        if logits.dim() < 1 or logits.shape[0] != labels.shape[0]:
            raise ScriptError(
                f"output shape {tuple(output.shape)} does not match integer target shape "
                f"{tuple(target.shape)} for cross-entropy; fix the model's output or define `loss`"
            )
        classes = int(logits.shape[1]) if logits.dim() >= 2 else None
        return call_user(functional.cross_entropy, logits, labels), "cross_entropy", classes
    if output.shape != target.shape:
        raise ScriptError(
            f"output shape {tuple(output.shape)} differs from target shape {tuple(target.shape)} "
            "for the default mean-squared error; reshape the target or define `loss(output, target)`"
        )
    return call_user(functional.mse_loss, output, target.to(output.dtype)), "mse", None


def _batch_size(value: Any) -> int | None:
    """Leading size of the first tensor in a batch, or None if it holds none."""

    if isinstance(value, torch.Tensor):
        return int(value.shape[0]) if value.dim() > 0 else None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, tuple | list) else ()
    for item in items:
        size = _batch_size(item)
        if size is not None:
            return size
    return None


def call_model(model: nn.Module, inputs: Any) -> Any:
    if isinstance(inputs, dict):
        return call_user(model, **inputs)
    if isinstance(inputs, tuple | list):
        return call_user(model, *inputs)
    return call_user(model, inputs)


def _logit_classes(output: Any) -> int | None:
    """Classes of a Hugging Face output's logits: its loss is a cross-entropy over them."""
    logits = getattr(output, "logits", None)
    shape = getattr(logits, "shape", None)
    return int(shape[-1]) if shape is not None and len(shape) >= 2 and int(shape[-1]) >= 2 else None


def _loss_function(module: types.ModuleType, shape: dict[str, int]) -> tuple[LossFn, str]:
    compute_loss = getattr(module, "compute_loss", None)
    user_loss = getattr(module, "loss", None)
    if compute_loss is not None and not callable(compute_loss):
        raise ScriptError("`compute_loss` is not callable; define `def compute_loss(model, batch): ...`")
    if user_loss is not None and not callable(user_loss):
        raise ScriptError("`loss` is not callable; define `def loss(output, target): ...` or remove it")

    if compute_loss is not None:

        def by_compute_loss(model: nn.Module, batch: Any) -> Any:
            return call_user(compute_loss, model, batch)

        return by_compute_loss, "compute_loss"

    def by_forward(model: nn.Module, batch: Any) -> Any:
        if isinstance(batch, dict):
            output = call_user(model, **batch)
            carried = _output_loss(output)
            if carried is None:
                raise ScriptError(
                    "a dict batch is called as model(**batch), but the output carries no `loss`; "
                    "yield (inputs, target) batches or define `compute_loss(model, batch)`"
                )
            _note_classes(shape, _logit_classes(output))
            return carried
        if isinstance(batch, tuple | list) and len(batch) == 2:
            inputs, target = batch
        elif isinstance(batch, tuple | list):
            raise ScriptError(
                f"a batch has {len(batch)} elements; yield (inputs, target) pairs "
                "(put several inputs in a tuple) or define `compute_loss(model, batch)`"
            )
        else:
            inputs, target = batch, None
        output = call_model(model, inputs)
        if user_loss is not None:
            return call_user(user_loss, output, target)
        carried = _output_loss(output)
        if carried is not None:
            _note_classes(shape, _logit_classes(output))
            return carried
        if target is None:
            raise ScriptError(
                "a batch is a single tensor with no target and the output carries no `loss`; "
                "yield (inputs, target) or define `compute_loss(model, batch)`"
            )
        value, _, classes = _default_loss(output, target)
        _note_classes(shape, classes)
        return value

    return by_forward, "loss" if user_loss is not None else "default"


def _note_classes(shape: dict[str, int], classes: int | None) -> None:
    if classes is not None and "classes" not in shape:
        shape["classes"] = classes


def _optimizer_factory(module: types.ModuleType, path: Path) -> tuple[OptimizerFactory, bool]:

    given = getattr(module, "optimizer", None)
    if given is None:

        def default(params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
            return torch.optim.Adam(params, lr=1e-3)

        return default, True
    if isinstance(given, torch.optim.Optimizer):
        raise ScriptError(
            "`optimizer` is an optimizer instance; make it a function, e.g. "
            "`def optimizer(params): return torch.optim.SGD(params, lr=0.1)`, so gradscope can rebuild it"
        )
    if not callable(given):
        raise ScriptError("`optimizer` is not callable; define `def optimizer(params): return torch.optim...`")

    def build(params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        try:
            made = call_user(given, params)
        except USER_ERRORS as exc:
            raise blame(exc, f"calling `optimizer(params)` raised {describe(exc)}{where(exc, path)}") from exc
        if not isinstance(made, torch.optim.Optimizer):
            raise ScriptError(f"`optimizer(params)` returned a {type(made).__name__}, not a torch.optim.Optimizer")
        return made

    return build, False


def load(path: Path, steps: int) -> Problem:
    """Import the script and validate its names. The caller seeds torch first."""
    with no_bytecode():
        return _load(path, steps)


def _load(path: Path, steps: int) -> Problem:
    module = import_script(path)
    model = _build_model(module, path)
    if not any(p.requires_grad for p in model.parameters()):
        raise ScriptError(
            "the model has no trainable parameter (all have requires_grad=False or there are none); "
            "unfreeze at least one layer"
        )
    batches = _collect_batches(module, path, steps)
    shape: dict[str, int] = {}
    loss_of, source = _loss_function(module, shape)
    make_optimizer, default = _optimizer_factory(module, path)
    precision = _precision(module, path)
    return Problem(
        script=path,
        model=model,
        batches=batches,
        loss_of=loss_of,
        make_optimizer=make_optimizer,
        default_optimizer=default,
        loss_source=source,
        loss_shape=shape,
        precision=precision,
    )


def _precision(module: types.ModuleType, path: Path) -> str | None:
    """The script's optional `precision`, one of Lightning's names."""
    value = getattr(module, "precision", None)
    if not isinstance(value, str):
        # A function or module of that name (torchmetrics' precision, say) is not the setting.
        return None
    if value not in PRECISIONS:
        raise ScriptError(
            f"{path.name}: `precision` is {value!r}; set it to one of {', '.join(repr(p) for p in PRECISIONS)} "
            "(Lightning's names) or remove it"
        )
    return value


def to_device(value: Any, device: Any, dtype: Any) -> Any:
    """Move tensors inside a batch to the device; floating tensors take the model's dtype."""

    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and dtype is not None and value.dtype != dtype:
            return value.to(device=device, dtype=dtype, non_blocking=True)
        return value.to(device=device, non_blocking=True)
    if isinstance(value, dict):
        return {k: to_device(v, device, dtype) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(to_device(v, device, dtype) for v in value))
    if isinstance(value, tuple | list):
        return type(value)(to_device(v, device, dtype) for v in value)
    return value
