"""Synthetic Reports for the renderer tests: deterministic numbers, no torch.

Each layer's figures follow from its status (a vanishing layer gets a tiny
gradient, a frozen one none), varied over steps with sin() so plots and tables
are not flat, and identical on every run so golden files stay stable.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from rich.console import Console

from gradscope.data.notes import Note, NoteCode
from gradscope.data.records import (
    Finding,
    LayerInfo,
    LayerStatus,
    Recommendation,
    Report,
    Role,
    RunInfo,
    RunRecord,
    Severity,
    StepRecord,
    Verdict,
    Verified,
)

S = LayerStatus

# (grad_norm, weight_norm, update ratio) a layer of this status shows; scaled per layer and step below.
FIGURES: dict[LayerStatus, tuple[float, float, float]] = {
    S.HEALTHY: (0.1, 5.0, 3e-3),
    S.VANISHING: (1e-5, 5.0, 1e-9),
    S.EXPLODING: (2e5, 50.0, 0.3),
    S.DEAD: (1e-3, 4.0, 2e-5),
    S.FROZEN: (0.0, 6.0, 0.0),
    S.UNUSED: (0.0, 2.0, 0.0),
    S.NOT_OPTIMIZED: (0.2, 3.0, 0.0),
    S.NONFINITE: (0.05, 3.0, 2e-3),  # until half-way, then NaN gradients and Inf weights
}


def _wiggle(i: int, step: int) -> float:
    return 1.0 + 0.3 * math.sin(0.7 * step + 1.3 * i)


def make_report(
    statuses: Sequence[LayerStatus],
    *,
    names: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    steps: int = 6,
    verdict: Verdict = Verdict.HEALTHY,
    findings: Sequence[Finding] = (),
    recommendations: Sequence[Recommendation] = (),
    notes: Sequence[str] = (),
    script: str = "models/synthetic.py",
    default_optimizer: bool = False,
    depth_slope: float = 0.0,
    loss: Sequence[float] | None = None,
) -> Report:
    """A Report whose layer figures follow from `statuses`.

    depth_slope multiplies each layer's gradient by 10**(depth_slope * index),
    so a vanishing model can fade towards the input as a real one does.
    """
    n = len(statuses)
    names = list(names) if names is not None else [f"layers.{i}" for i in range(n)]
    kinds = list(kinds) if kinds is not None else ["Linear"] * n
    layers = tuple(
        LayerInfo(
            name=names[i],
            kind=kinds[i],
            params=4160 if kinds[i] == "Linear" else 128,
            role=Role.NORM if "Norm" in kinds[i] else Role.DENSE,
            param_names=(f"{names[i]}.weight", f"{names[i]}.bias"),
            trainable=statuses[i] is not S.FROZEN,
            optimized=statuses[i] is not S.NOT_OPTIMIZED,
        )
        for i in range(n)
    )
    records = []
    for step in range(steps):
        grad, weight, update = [], [], []
        for i, status in enumerate(statuses):
            g0, w0, r0 = FIGURES[status]
            scale = 10 ** (depth_slope * (i - n + 1)) * _wiggle(i, step)
            if status is S.NONFINITE and step >= steps // 2:
                grad.append(math.nan)
                weight.append(math.inf)
                update.append(math.nan)
                continue
            w = w0 * (1 + 0.001 * step)
            grad.append(g0 * scale)
            weight.append(w)
            update.append(r0 * _wiggle(i + 1, step) * w)
        loss_value = loss[step] if loss is not None else 2.0 * 0.95**step + 0.02 * math.sin(step)
        finite_grads = [g for g in grad if math.isfinite(g)]
        records.append(
            StepRecord(
                step=step,
                loss=loss_value,
                total_grad_norm=math.sqrt(sum(g * g for g in finite_grads)) if len(finite_grads) == n else math.nan,
                lr=(1e-3,),
                grad_norm=tuple(grad),
                weight_norm=tuple(weight),
                update_norm=tuple(update),
                nonfinite_grad=tuple(int(not math.isfinite(g)) for g in grad),
                nonfinite_weight=tuple(int(not math.isfinite(w)) for w in weight),
                zero_grad_frac=tuple(0.9 if s is S.DEAD else 0.0 for s in statuses),
                has_grad=tuple(s not in (S.FROZEN, S.UNUSED) for s in statuses),
                dead_unit_frac=tuple(0.8 if s is S.DEAD else 0.0 for s in statuses),
            )
        )
    params = sum(layer.params for layer in layers)
    frozen = sum(layer.params for layer in layers if not layer.trainable)
    run = RunInfo(
        script=script,
        steps=steps,
        seed=0,
        device="cpu",
        dtype="float32",
        optimizer="Adam" if default_optimizer else "SGD",
        lr=(1e-3,),
        torch="2.13.0+cpu",
        gradscope="0.1.0",
        wall_s=1.234,
        default_optimizer=default_optimizer,
        total_params=params,
        trainable_params=params - frozen,
    )
    return Report(
        record=RunRecord(run=run, layers=layers, steps=tuple(records)),
        verdict=verdict,
        statuses=tuple(statuses),
        findings=tuple(findings),
        recommendations=tuple(recommendations),
        notes=tuple(Note(NoteCode.SAID, {"text": n}) for n in notes),
    )


def _finding(code: str, rule: str, status: LayerStatus, layers: Sequence[str], message: str) -> Finding:
    return Finding(
        code=code,
        rule=rule,
        severity=Severity.ERROR,
        layers=tuple(layers),
        evidence={"rel_grad": {name: 1e-9 * (k + 1) for k, name in enumerate(layers)}, "steps": 6},
        message=message,
        fix="use ReLU-family activations, add normalisation or residual connections",
        status=status,
    )


def healthy_report() -> Report:
    names = ["embed", "blocks.0.norm", "blocks.0.fc1", "blocks.0.fc2", "head"]
    kinds = ["Embedding", "LayerNorm", "Linear", "Linear", "Linear"]
    return make_report(
        [S.HEALTHY] * 5,
        names=names,
        kinds=kinds,
        default_optimizer=True,
        notes=("measured on 6 steps; pass --steps for a longer look",),
    )


def vanishing_report() -> Report:
    names = [str(2 * i) for i in range(12)]
    statuses = [S.VANISHING] * 8 + [S.HEALTHY] * 4
    flagged = names[:8]
    curve_before = tuple(1.39 - 0.001 * k for k in range(6))
    curve_after = tuple(1.39 - 0.05 * k for k in range(6))
    return make_report(
        statuses,
        names=names,
        verdict=Verdict.VANISHING,
        script="sample_models/deep_sigmoid.py",
        depth_slope=0.4,
        findings=[
            _finding(
                "GS101",
                "vanishing-gradient",
                S.VANISHING,
                flagged,
                "8 early layers get gradients down to 1.8e-10x the strongest later layer's and barely move",
            )
        ],
        recommendations=[
            Recommendation(
                action="activation",
                numbers={"layers": [str(2 * i + 1) for i in range(8)], "replace": "Sigmoid", "with": "ReLU"},
                why="GS101",
                how="Sigmoid passes at most 0.25 of the gradient per layer; ReLU passes 1 for active units",
                code="nn.ReLU()  # instead of nn.Sigmoid() after 0",
            ),
            Recommendation(
                action="learning_rate",
                numbers={"lr": 0.5, "current_lr": 0.1},
                why="GS101",
                how="the largest of 0.2, 0.5, 1 whose replay kept the loss falling",
                code="torch.optim.SGD(model.parameters(), lr=0.5)",
                verified=Verified(1.388, 1.17, True, curve_before, curve_after),
            ),
        ],
    )


def exploding_report() -> Report:
    statuses = [S.EXPLODING, S.EXPLODING, S.HEALTHY, S.NONFINITE]
    names = ["rnn", "proj", "norm", "head"]
    loss = [0.9, 1.4, 3.0, 7.5, math.inf, math.nan]
    curve = (0.9, 1.4, 3.0, 7.5, 20.0, 60.0)
    return make_report(
        statuses,
        names=names,
        kinds=["RNN", "Linear", "LayerNorm", "Linear"],
        verdict=Verdict.NONFINITE,
        loss=loss,
        findings=[
            _finding("GS102", "exploding-gradient", S.EXPLODING, names[:2], "gradients up to 4e+03x the weights"),
            _finding("GS104", "nonfinite", S.NONFINITE, ["head"], "NaN gradient in head from step 3"),
        ],
        recommendations=[
            Recommendation(
                action="clip_grad_norm",
                numbers={"max_norm": 1.0, "clipped_fraction": 0.83},
                why="GS102",
                how="median of the measured total gradient norm, replayed for 6 steps",
                code="torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)",
                verified=Verified(30.0, 0.8, True, curve, (0.9, 0.85, 0.8, 0.82, 0.79, 0.78)),
            ),
            Recommendation(
                action="learning_rate",
                numbers={"lr": 1e-4, "current_lr": 1e-3},
                why="GS102",
                how="ten times lower",
                code="torch.optim.SGD(model.parameters(), lr=1e-4)",
                verified=Verified(30.0, 35.0, False, curve, (0.9, 1.3, 2.9, 7.0, 19.0, 70.0)),
            ),
        ],
    )


BLOCK = ("attention.qkv_projection", "attention.output_projection", "mlp.fc1", "mlp.fc2", "norm")


def big_names(n_blocks: int = 120) -> tuple[list[str], list[str]]:
    names = [f"transformer.blocks.{b}.{leaf}" for b in range(n_blocks) for leaf in BLOCK]
    kinds = ["LayerNorm" if leaf == "norm" else "Linear" for _ in range(n_blocks) for leaf in BLOCK]
    return names, kinds


# The order big_report numbers its findings in (and keeps the first three of), spelled out so
# that the golden file does not move when LayerStatus is declared in another order.
FINDING_ORDER = (S.HEALTHY, S.VANISHING, S.EXPLODING, S.DEAD, S.FROZEN, S.UNUSED, S.NOT_OPTIMIZED, S.NONFINITE)


def big_report() -> Report:
    """600 layers, a handful flagged, scattered through depth."""
    names, kinds = big_names()
    statuses = [S.HEALTHY] * len(names)
    flagged = {0: S.VANISHING, 1: S.VANISHING, 2: S.VANISHING, 37: S.DEAD, 250: S.UNUSED, 401: S.EXPLODING}
    flagged |= {598: S.NOT_OPTIMIZED, 310: S.FROZEN, 311: S.FROZEN, 599: S.NONFINITE}
    for i, status in flagged.items():
        statuses[i] = status
    findings = [
        _finding(
            f"GS1{k:02d}",
            status.value,
            status,
            [names[i] for i in sorted(flagged) if flagged[i] is status],
            f"{status.value} gradients in the layers named",
        )
        for k, status in enumerate(sorted(set(flagged.values()), key=FINDING_ORDER.index))
    ]
    return make_report(statuses, names=names, kinds=kinds, verdict=Verdict.NONFINITE, findings=findings[:3], steps=8)


def many_flagged_report() -> Report:
    """600 layers, most of them flagged, in long runs and in alternation."""
    names, kinds = big_names()
    statuses = [S.HEALTHY] * len(names)
    for i in range(0, 200):
        statuses[i] = S.VANISHING
    for i in range(200, 260):
        statuses[i] = S.FROZEN
    for i in range(300, 420, 2):
        statuses[i] = S.DEAD  # alternating with healthy: cannot be merged by status alone
    for i in range(500, 600):
        statuses[i] = S.EXPLODING if i % 3 else S.NONFINITE
    return make_report(statuses, names=names, kinds=kinds, verdict=Verdict.NONFINITE, steps=4)


def render_text(report: Report, width: int = 100, quiet: bool = False) -> str:
    """What print_report prints on a plain 100-column terminal, trailing blanks removed."""
    from gradscope.render.terminal import print_report

    console = Console(
        width=width,
        record=True,
        file=io.StringIO(),
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
    )
    print_report(report, quiet=quiet, console=console)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"
