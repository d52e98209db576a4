"""Where `gradscope run` finds the models of a script it did not write, and what it names them.

An optimizer knows only its parameters. These functions trace them to the modules
that own them and up to the outermost module (the model, named as `diagnose` names
it), name that model as the script does, and build the view one optimizer's probe
measures when several optimizers share a model. A new optimizer over parameters
already measured (a script that builds its optimizer again each epoch) takes over
the earlier one's probe.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import FrameType

import torch
from torch import nn

from gradscope.doors.run.merge import Observed


@dataclass
class Models:
    """The models measured so far: each named once, and viewed whole by the first optimizer on it."""

    labels: dict[int, str] = field(default_factory=dict)  # id(model) -> its name in the report
    measured: set[int] = field(default_factory=set)  # id(model) of every model an optimizer steps

    def view(
        self, optimizer: torch.optim.Optimizer, held: frozenset[int], alive: Iterable[torch.optim.Optimizer]
    ) -> tuple[nn.Module, list[tuple[str, nn.Module]], bool]:
        """What the probe of `optimizer` (stepping the parameters `held`) measures, the named models
        it steps, and whether its layer names start with a model's name. `alive`: the optimizers
        the script made."""
        params = [p for g in optimizer.param_groups for p in g["params"]]
        roots, loose = owning_roots(params, live_modules())
        # After live_modules(): its gc.collect() drops the optimizers the script built and dropped.
        others = {id(p) for other in alive if other is not optimizer for g in other.param_groups for p in g["params"]}
        named = [(script_name(root, type(root).__name__), root) for root in roots]
        if loose:
            named.append(("tensors", holder_of(loose)))
        named = self._distinct(named)
        firsts = {id(root) for _, root in named if id(root) not in self.measured}
        self.measured.update(id(root) for _, root in named)
        shared = any(id(p) in others for _, root in named for p in root.parameters())
        if len(named) == 1 and not shared:
            return named[0][1], named, False
        first_of = {id(m): id(root) for _, root in named for m in root.modules()}

        def keep(module: nn.Module) -> bool:
            own = [id(p) for p in module._parameters.values() if p is not None]
            if not own or any(i in held for i in own):
                return True
            # Layers no optimizer holds (frozen, forgotten) go to the first view of their model,
            # as `diagnose` shows them.
            return first_of.get(id(module)) in firsts and not any(i in others for i in own)

        prefixed = len(named) > 1
        return View(named if prefixed else [("", named[0][1])], keep), named, prefixed

    def _distinct(self, named: list[tuple[str, nn.Module]]) -> list[tuple[str, nn.Module]]:
        """One name per model: the name it got from an earlier optimizer, else its own made unique."""
        out: list[tuple[str, nn.Module]] = []
        for label, root in named:
            name = self.labels.get(id(root))
            if name is None:
                used = set(self.labels.values())
                name, n = label, 2
                while name in used:
                    name, n = f"{label}{n}", n + 1
                self.labels[id(root)] = name
            out.append((name, root))
        return out


def renew(earlier: Observed, optimizer: torch.optim.Optimizer) -> Observed:
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


def live_modules() -> list[nn.Module]:
    # Collected first, so a wrapper the script built and dropped is not taken for the model's parent.
    gc.collect()
    # type(), not isinstance: isinstance reads __class__, which some torch objects warn on.
    return [o for o in gc.get_objects() if issubclass(type(o), nn.Module)]


def _unwrap(module: nn.Module) -> nn.Module:
    """The model inside torch.compile's and DataParallel's wrappers, named as without them."""
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
    holder = nn.Module()
    for i, t in enumerate(loose):
        # Directly into _parameters: they may be plain tensors with requires_grad, which
        # register_parameter refuses; the probe only reads them.
        holder._parameters[str(i)] = t  # type: ignore[assignment]
    return holder


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
