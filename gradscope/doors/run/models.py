"""Where `gradscope run` finds the models of a script it did not write.

An optimizer knows only its parameters. These functions trace them to the modules
that own them and up to the outermost module (the model, named as `diagnose` names
it), name that model as the script does, and build the view one optimizer's probe
measures when several optimizers share a model. `classes_of` reads from a loss's
autograd graph whether it is a cross-entropy, and over how many classes.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

# The first few backward() calls are looked at for a cross-entropy; later ones cost nothing.
CLASS_LOOKS = 3
# Autograd nodes that scale or copy a scalar loss (a division by the accumulation steps, say).
SCALINGS = frozenset({"DivBackward0", "DivBackward1", "MulBackward0", "MulBackward1", "CloneBackward0"})


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


def live_modules() -> list[nn.Module]:
    from torch import nn

    # Collected first, so a wrapper the script built and dropped is not taken for the model's parent.
    gc.collect()
    # type(), not isinstance: isinstance reads __class__, which some torch objects warn on.
    return [o for o in gc.get_objects() if issubclass(type(o), nn.Module)]


def _unwrap(module: nn.Module) -> nn.Module:
    """The model inside torch.compile's and DataParallel's wrappers, named as without them."""
    from torch import nn

    for attr in ("_orig_mod", "module"):
        inner = getattr(module, attr, None)
        if isinstance(inner, nn.Module) and list(module.children()) == [inner]:
            return _unwrap(inner)
    return module


def owning_roots(params: list[torch.Tensor], modules: list[nn.Module]) -> tuple[list[nn.Module], list[torch.Tensor]]:
    """The outermost modules holding `params` (in the order of their first parameter), and the
    parameters no module holds."""
    owners: dict[int, list[nn.Module]] = {}
    parents: dict[int, list[nn.Module]] = {}
    for m in modules:
        for owned in m._parameters.values():
            if owned is not None:
                owners.setdefault(id(owned), []).append(m)
        for child in m._modules.values():
            if child is not None:
                parents.setdefault(id(child), []).append(m)
    roots: dict[int, nn.Module] = {}
    loose: list[torch.Tensor] = []
    for p in params:
        found = owners.get(id(p))
        if not found:
            loose.append(p)
            continue
        stack, seen = list(found), set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            above = parents.get(id(m))
            if above:
                stack += above
            else:
                top = _unwrap(m)
                roots.setdefault(id(top), top)
    return list(roots.values()), loose


def script_name(obj: object, fallback: str) -> str:
    """The name the script gives `obj` (a local or global of its innermost frame that holds it)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (isinstance(module, str) and module.split(".")[0] in {"gradscope", "torch"}):
            for name, value in list(frame.f_locals.items()):
                if value is obj and not name.startswith("_"):
                    return name
        frame = frame.f_back
    return fallback


def holder_of(loose: list[torch.Tensor]) -> nn.Module:
    """A module holding tensors the optimizer steps that belong to no module, so they are measured too."""
    from torch import nn

    holder = nn.Module()
    for i, t in enumerate(loose):
        # Directly into _parameters: they may be plain tensors with requires_grad, which
        # register_parameter refuses; the probe only reads them.
        holder._parameters[str(i)] = t  # type: ignore[assignment]
    return holder


def view_class() -> type[nn.Module]:
    from torch import nn

    class View(nn.Module):
        """The layers of one or more models that one optimizer steps, named as in their models.

        Several optimizers over one model each get a view, so each layer is measured once, by
        the probe of the optimizer that steps it. Modules without parameters (activations,
        containers) stay, so a layer still knows the activation after it.
        """

        def __init__(self, roots: list[tuple[str, nn.Module]], keep: Callable[[nn.Module], bool]) -> None:
            super().__init__()
            # Plain attributes, not children: the user's modules are not re-parented.
            self.__dict__["_roots"] = roots
            self.__dict__["_keep"] = keep

        def named_modules(
            self, memo: set[nn.Module] | None = None, prefix: str = "", remove_duplicate: bool = True
        ) -> Iterator[tuple[str, nn.Module]]:
            for label, root in self.__dict__["_roots"]:
                start = f"{prefix}.{label}" if prefix and label else prefix or label
                for name, module in root.named_modules(memo, start, remove_duplicate):
                    if self.__dict__["_keep"](module):
                        yield name, module

    return View
