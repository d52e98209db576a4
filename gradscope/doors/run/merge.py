"""One record from the watches of a `gradscope run`: several optimizers' steps side by side.

Each optimizer the script steps has its own watch; the report has one record, whose
layers are all of theirs (named with the model's name when there are several models)
and whose steps join theirs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import LayerInfo, RunRecord, StepRecord

if TYPE_CHECKING:
    import torch
    from torch import nn

    from gradscope.config import ScriptRun
    from gradscope.doors.watch import Watch


@dataclass
class Observed:
    """One optimizer of the script and the watch measuring it."""

    optimizer: torch.optim.Optimizer
    watch: Watch
    label: str
    roots: list[tuple[str, nn.Module]]  # (name in the script, model)
    prefixed: bool  # the watch's layer names already start with the model's name
    held: frozenset[int]  # ids of the parameters it steps
    renewed: int = 0  # times the script replaced it by a new optimizer over the same parameters


# ---------------------------------------------------------------- one record from several watches


def _renamed(layer: LayerInfo, label: str) -> LayerInfo:
    def put(name: str) -> str:
        return label if name == "(root)" else f"{label}.{name}"

    return replace(
        layer,
        name=put(layer.name),
        param_names=tuple(f"{label}.{n}" for n in layer.param_names),
        shared_with=tuple(put(n) for n in layer.shared_with),
        activation_name=None if layer.activation_name is None else put(layer.activation_name or "(root)"),
    )


def merge(observed: list[Observed], run: ScriptRun, wall: float) -> tuple[RunRecord, list[Note]]:
    """One record over every optimizer: the layers of all, their steps side by side."""
    records = [o.watch.record() for o in observed]
    models = {id(root): root for o in observed for _, root in o.roots}
    several = len(models) > 1
    layers: list[LayerInfo] = []
    columns: list[tuple[int, int]] = []
    at: dict[str, int] = {}
    for k, (o, rec) in enumerate(zip(observed, records, strict=True)):
        for i, measured in enumerate(rec.layers):
            layer = _renamed(measured, o.roots[0][0]) if several and not o.prefixed else measured
            j = at.get(layer.name)
            if j is None:
                at[layer.name] = len(layers)
                layers.append(layer)
                columns.append((k, i))
            elif layer.optimized and not layers[j].optimized:  # measured under the optimizer that steps it
                layers[j], columns[j] = layer, (k, i)
    counts = [len(r.steps) for r in records]
    n = min(counts)
    steps = [_joined([r.steps[s] for r in records], columns) for s in range(n)]
    notes: list[Note] = []
    if len(observed) > 1:
        notes.append(_who_steps_what(observed, layers, columns))
        if len(set(counts)) > 1:
            stepped = [[o.label, c] for o, c in zip(observed, counts, strict=True)]
            notes.append(Note(NoteCode.UNEQUAL_STEPS, {"counts": stepped, "kept": n}))
    unique = {id(p): p for root in models.values() for p in root.parameters()}
    # The first optimizer's metadata (built by recorder.run_info, as every door's is), with what
    # only the whole script knows, or what all its optimizers make together, put in.
    info = replace(
        records[0].run,
        script=run.name,
        steps=len(steps),
        seed=run.seed,
        optimizer=" + ".join(r.run.optimizer for r in records),
        lr=tuple(lr for r in records for lr in r.run.lr),
        wall_s=round(wall, 3),
        total_params=sum(p.numel() for p in unique.values()),
        trainable_params=sum(p.numel() for p in unique.values() if p.requires_grad),
        skipped_steps=sum(r.run.skipped_steps for r in records),
        loss_source="backward" if any(s.loss is not None for s in steps) else "none",
        every=run.every,
    )
    return RunRecord(run=info, layers=tuple(layers), steps=tuple(steps)), notes


def _joined(parts: list[StepRecord], columns: list[tuple[int, int]]) -> StepRecord:
    if len(parts) == 1 and [i for _, i in columns] == list(range(len(parts[0].grad_norm))):
        return parts[0]

    def column(name: str) -> tuple[Any, ...]:
        return tuple(getattr(parts[k], name)[i] for k, i in columns)

    losses = {repr(p.loss) for p in parts}  # repr: NaN equals NaN here
    grads = column("grad_norm")
    return StepRecord(
        step=parts[0].step,
        loss=parts[0].loss if len(losses) == 1 else None,
        total_grad_norm=math.hypot(*grads),
        lr=tuple(lr for p in parts for lr in p.lr),
        grad_norm=grads,
        weight_norm=column("weight_norm"),
        update_norm=column("update_norm"),
        nonfinite_grad=column("nonfinite_grad"),
        nonfinite_weight=column("nonfinite_weight"),
        zero_grad_frac=column("zero_grad_frac"),
        has_grad=column("has_grad"),
        dead_unit_frac=column("dead_unit_frac"),
        # The distributions built before a step are handed to the first optimizer that steps.
        policy_entropy=next((p.policy_entropy for p in parts if p.policy_entropy is not None), None),
    )


def _who_steps_what(observed: list[Observed], layers: list[LayerInfo], columns: list[tuple[int, int]]) -> Note:
    optimizers = []
    for k, o in enumerate(observed):
        mine = zip(layers, columns, strict=True)
        names = [layer.name for layer, (owner, _) in mine if owner == k and layer.optimized]
        optimizers.append({"label": o.label, "kind": type(o.optimizer).__name__, "layers": names})
    return Note(NoteCode.OPTIMIZERS, {"optimizers": optimizers})
