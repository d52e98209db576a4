"""The hooks through which `gradscope run` sees a script it did not write, and their undoing.

Nothing in the script is changed. While installed, torch's global optimizer step
hooks and six patched functions tell a `Listener` what the script does: every
backward() and on what, every optimizer constructed (found when it first steps),
every loss GradScaler scales, every GradScaler step that skipped
optimizer.step(), and every categorical distribution built and sampled from (a
policy's).
`uninstall` puts torch back as it was. The patched functions call torch's own
through `errors.call_user`: what they raise is the script's.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch.optim import optimizer as optim

from gradscope.errors import call_user


class Listener(Protocol):
    """What the hooks report to."""

    def backward(self, tensors: Any) -> None: ...
    def constructed(self, optimizer: torch.optim.Optimizer) -> None: ...
    def scaled(self, scaler: torch.amp.GradScaler, outputs: Any, scaled: Any) -> None: ...
    def steps_taken(self) -> int: ...
    def step_skipped(self, optimizer: torch.optim.Optimizer) -> None: ...
    def pre_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None: ...
    def post_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None: ...
    def distribution(self, distribution: Any) -> None: ...
    def sampled(self, distribution: Any) -> None: ...


class Patches:
    """torch's global step hooks and torch.autograd.backward, Optimizer.__init__, GradScaler.scale,
    GradScaler.step, Categorical.__init__ and Categorical.sample patched, each telling `listener`
    while installed."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self._undo: list[Callable[[], None]] = []

    @property
    def installed(self) -> bool:
        return bool(self._undo)

    def install(self) -> None:
        pre = optim.register_optimizer_step_pre_hook(self.listener.pre_step)
        self._undo.append(pre.remove)
        post = optim.register_optimizer_step_post_hook(self.listener.post_step)
        self._undo.append(post.remove)
        # The wrappers hold the patches weakly: a patch left behind by mistake keeps nothing alive.
        me = weakref.ref(self)
        self._patch(torch.autograd, "backward", functools.partial(_backward, me))
        self._patch(torch.optim.Optimizer, "__init__", functools.partial(_init, me))
        scaler = torch.amp.GradScaler
        self._patch(scaler, "scale", functools.partial(_scale, me))
        self._patch(scaler, "step", functools.partial(_scaler_step, me))
        # OneHotCategorical builds a Categorical inside and samples through it: these see both.
        self._patch(torch.distributions.Categorical, "__init__", functools.partial(_categorical, me))
        self._patch(torch.distributions.Categorical, "sample", functools.partial(_sample, me))

    def uninstall(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))


Ref = weakref.ReferenceType[Patches]


def _listening(ref: Ref) -> Listener | None:
    patches = ref()
    return patches.listener if patches is not None and patches.installed else None


def _backward(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
        listener = _listening(ref)
        if listener is not None:
            listener.backward(tensors)
        return call_user(original, tensors, *args, **kwargs)

    return backward


def _init(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def init(optimizer: Any, *args: Any, **kwargs: Any) -> None:
        listener = _listening(ref)
        if listener is not None:
            listener.constructed(optimizer)
        call_user(original, optimizer, *args, **kwargs)

    return init


def _scale(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def scale(scaler: Any, outputs: Any) -> Any:
        scaled = call_user(original, scaler, outputs)
        listener = _listening(ref)
        if listener is not None and scaled is not outputs:
            listener.scaled(scaler, outputs, scaled)
        return scaled

    return scale


def _scaler_step(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def step(scaler: Any, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        patches = ref()
        before = patches.listener.steps_taken() if patches is not None else 0
        result = call_user(original, scaler, optimizer, *args, **kwargs)
        listener = _listening(ref)
        if listener is not None and listener.steps_taken() == before:
            # Inf/NaN gradients: GradScaler skipped optimizer.step().
            listener.step_skipped(optimizer)
        return result

    return step


def _categorical(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def init(distribution: Any, *args: Any, **kwargs: Any) -> None:
        call_user(original, distribution, *args, **kwargs)
        listener = _listening(ref)
        if listener is not None:
            listener.distribution(distribution)

    return init


def _sample(ref: Ref, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def sample(distribution: Any, *args: Any, **kwargs: Any) -> Any:
        drawn = call_user(original, distribution, *args, **kwargs)
        listener = _listening(ref)
        if listener is not None:
            listener.sampled(distribution)
        return drawn

    return sample
