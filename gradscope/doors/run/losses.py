"""Which scalar backward() ran on is the step's loss, in a script gradscope did not write.

The loss of a step is the scalar the script called backward() on before it: the
sum of them under gradient accumulation (that sum is what the stepped gradient is
the gradient of). Under GradScaler the scalar backward() sees is the loss times
the scale, so the loss before scaling is kept instead. A backward() inside
step() (a closure's) is the probe's to take; an iteration whose step GradScaler
skipped leaves no loss behind; two optimizers stepped on one backward() share
its loss. `classes_of` reads from a loss's autograd graph whether it is a
cross-entropy, and over how many classes.
"""

from __future__ import annotations

from typing import Any

import torch

from gradscope.probe.losses import combined

# The first few backward() calls are looked at for a cross-entropy; later ones cost nothing.
CLASS_LOOKS = 3
# Autograd nodes that scale or copy a scalar loss (a division by the accumulation steps, say).
SCALINGS = frozenset({"DivBackward0", "DivBackward1", "MulBackward0", "MulBackward1", "CloneBackward0"})


class LossFinder:
    """The scalars backward() ran on since the last step, and whose step they are."""

    def __init__(self) -> None:
        self.classes: int | None = None  # of the cross-entropy the script's loss is, when it is one
        self.stepping = False  # inside optimizer.step(): a backward() there is a closure's
        self._pending: list[torch.Tensor] = []
        self._last: tuple[object, torch.Tensor] | None = None  # (who took it, loss) of the last step
        # GradScaler: the last scaled loss and the loss before scaling.
        self._unscaled: tuple[torch.Tensor, torch.Tensor] | None = None

    def scaled(self, outputs: Any, scaled: Any) -> None:
        """GradScaler.scale(outputs) gave `scaled`: a backward() on it is a backward() on `outputs`."""
        if isinstance(outputs, torch.Tensor) and outputs.numel() == 1:
            self._unscaled = (scaled, outputs.detach().reshape(()))

    def backward(self, tensors: Any, calls: int) -> None:
        """backward() ran on `tensors`, the script's `calls`-th call."""
        if self.stepping:
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
                if self.classes is None and calls <= CLASS_LOOKS:
                    self.classes = classes_of(t)

    def drop(self) -> None:
        """The losses pending belong to no step: GradScaler skipped optimizer.step() (inf/NaN
        gradients; the probe counts the skip from the drop in scale), or the run is over."""
        self._pending.clear()

    def take(self, optimizer: object) -> torch.Tensor | None:
        """The loss of this step of `optimizer`: the scalars backward() ran on since the last step.
        None new since a step of another optimizer: both stepped on one backward, so it is shared."""
        if self._pending:
            losses, self._pending = self._pending, []
            value = combined(losses, "sum")
            self._last = (optimizer, value)
            return value
        if self._last is not None and self._last[0] is not optimizer:
            value = self._last[1]
            self._last = (optimizer, value)
            return value
        return None


def classes_of(loss: torch.Tensor) -> int | None:
    """The classes C when `loss` is a cross-entropy (F.cross_entropy, nn.CrossEntropyLoss), read from
    its autograd graph: the rules judge a classifier's loss against ln(C), as `diagnose` does when
    it computes the cross-entropy itself."""
    node = loss.grad_fn
    for _ in range(4):
        if node is None:
            return None
        name = node.name()
        if name in {"NllLossBackward0", "NllLoss2DBackward0"}:
            shape = getattr(node, "_saved_self", None)
            shape = getattr(shape, "shape", None)
            if shape is None or len(shape) == 0:
                return None
            return int(shape[1] if len(shape) >= 2 else shape[0])
        if name not in SCALINGS or not node.next_functions:
            return None
        node = node.next_functions[0][0]
    return None
