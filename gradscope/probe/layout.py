"""Which tensors a probe measures and under which layer: found once per model.

A layer is a module that owns parameters directly; a parameter shared by several
modules counts once, under its first owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gradscope.data.records import LayerInfo, Role

NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()),
)
EMBEDDING_TYPES: tuple[type[nn.Module], ...] = (nn.Embedding, nn.EmbeddingBag)
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.Sigmoid,
    nn.Tanh,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Softplus,
    nn.Hardtanh,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.Tanhshrink,
    nn.Softsign,
    nn.LogSigmoid,
)


def role_of(module: nn.Module, params: Sequence[torch.Tensor]) -> Role:
    if isinstance(module, NORM_TYPES) or "norm" in type(module).__name__.lower():
        return Role.NORM
    if isinstance(module, EMBEDDING_TYPES):
        return Role.EMBEDDING
    if any(p.dim() >= 2 for p in params):
        return Role.DENSE
    return Role.OTHER


@dataclass
class Layout:
    """Which tensors are measured, and under which layer; built once per model."""

    layers: tuple[LayerInfo, ...]
    tracked: list[torch.nn.Parameter]  # requires_grad parameters, deduplicated, model order
    layer_of: list[int]  # tracked[i] belongs to layers[layer_of[i]]
    bias_of: list[int]  # per layer: index into tracked of its 1-D "bias", or -1
    numel: list[int]  # per layer: entries of its tracked parameters


def kind_of(module: nn.Module) -> str:
    """The module's class name; under FSDP2 the user's class, not the FSDP<name> subclass that
    fully_shard swaps in (so a sharded run's report reads like a one-process run's)."""
    cls = type(module)
    for base in cls.__bases__:
        if cls.__name__ == "FSDP" + base.__name__:
            return base.__name__
    return cls.__name__


def discover(model: nn.Module, optimizer: torch.optim.Optimizer) -> Layout:
    """Layers in model order, shared parameters counted once under their first owner."""
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    owner: dict[int, int] = {}  # id(param) -> layer index
    shared: dict[int, list[str]] = {}
    drafts: list[dict[str, Any]] = []
    tracked: list[torch.nn.Parameter] = []
    layer_of: list[int] = []
    bias_of: list[int] = []
    modules = list(model.named_modules())
    for mname, module in modules:
        own = list(module.named_parameters(recurse=False))
        if not own:
            continue
        name = mname or "(root)"
        fresh = [(pname, p) for pname, p in own if id(p) not in owner]
        for _, p in own:
            if id(p) in owner:
                shared.setdefault(owner[id(p)], []).append(name)
        if not fresh:
            continue
        index = len(drafts)
        bias_index = -1
        for pname, p in fresh:
            owner[id(p)] = index
            if p.requires_grad:
                if pname == "bias" and p.dim() == 1:
                    bias_index = len(tracked)
                tracked.append(p)
                layer_of.append(index)
        bias_of.append(bias_index)
        drafts.append(_draft(name, mname, module, fresh, in_optimizer))
    activations = _following_activations(modules)
    layers = tuple(
        LayerInfo(
            name=d["name"],
            kind=d["kind"],
            params=d["params"],
            role=d["role"],
            param_names=d["param_names"],
            trainable=d["trainable"],
            optimized=d["optimized"],
            shared_with=tuple(shared.get(i, ())),
            activation=activations.get(d["name"], (None, None))[0],
            activation_name=activations.get(d["name"], (None, None))[1],
        )
        for i, d in enumerate(drafts)
    )
    return Layout(layers, tracked, layer_of, bias_of, [d["numel"] for d in drafts])


def _draft(
    name: str, mname: str, module: nn.Module, fresh: list[tuple[str, nn.Parameter]], in_optimizer: set[int]
) -> dict[str, Any]:
    """What a layer's LayerInfo is made of, but its sharing and its activation."""
    trainable = [p for _, p in fresh if p.requires_grad]
    return {
        "name": name,
        "kind": kind_of(module),
        "params": sum(p.numel() for _, p in fresh),
        "role": role_of(module, [p for _, p in fresh]),
        "param_names": tuple(f"{mname}.{pn}" if mname else pn for pn, _ in fresh),
        "trainable": bool(trainable),
        "optimized": all(id(p) in in_optimizer for p in trainable),
        "numel": sum(p.numel() for p in trainable),
    }


def _following_activations(modules: list[tuple[str, nn.Module]]) -> dict[str, tuple[str, str]]:
    """For each parametrised module, the first activation module after it in model order."""
    found: dict[str, tuple[str, str]] = {}
    pending: list[str] = []
    for mname, module in modules:
        if isinstance(module, ACTIVATION_TYPES):
            for name in pending:
                found[name] = (type(module).__name__, mname)
            pending = []
            continue
        if any(True for _ in module.parameters(recurse=False)):
            pending = [mname or "(root)"]
    for mname, module in modules:
        if isinstance(module, nn.RNN):  # the nonlinearity lives inside the module
            found[mname or "(root)"] = ("Tanh" if module.nonlinearity == "tanh" else "ReLU", mname)
    return found
