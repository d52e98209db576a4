"""The remedies that change the model: an activation, an init, normalisation, skip connections.

Each maker answers one kind of change a rule declares (gradscope.diagnosis.remedies) at
the layers its finding names, and replays it from the same start when the door can (a
swap of activations, a re-initialisation); normalisation and skip connections change the
model's code and are advised unreplayed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradscope.advice.advisor import Advisor
from gradscope.advice.replay import Bar, Change
from gradscope.config import CLOSURE_OPTIMIZERS
from gradscope.data.records import Finding, Recommendation
from gradscope.diagnosis.facts import LayerFacts
from gradscope.diagnosis.remedies import (
    AddBatchNorm,
    AddResidual,
    KaimingInit,
    MasterWeights,
    ModelChange,
    ToBFloat16,
    ToLeakyReLU,
    ToReLU,
)

SATURATING = frozenset({"Sigmoid", "Tanh", "Hardsigmoid", "Softsign", "LogSigmoid", "Hardtanh"})
RELU_FAMILY = frozenset({"ReLU", "ReLU6"})
INIT_KINDS = frozenset({"Linear", "Conv1d", "Conv2d", "Conv3d", "Bilinear"})


def make_change(advisor: Advisor, remedy: ModelChange, finding: Finding) -> Recommendation | None:
    """The recommendation a model change of `finding`'s rule makes at its layers, or None where it does not apply."""
    by_name = {f.name: f for f in advisor.diagnosis.facts.layers}
    flagged = [by_name[n] for n in finding.layers if n in by_name]
    maker: Callable[[Advisor, Any, Finding, list[LayerFacts]], Recommendation | None] = _MAKERS[type(remedy)]
    return maker(advisor, remedy, finding, flagged)


def to_relu(advisor: Advisor, _remedy: ToReLU, finding: Finding, flagged: list[LayerFacts]) -> Recommendation | None:
    """Saturating activations after the flagged layers swapped to ReLU."""
    after_flagged = [f for f in flagged if f.info.activation in SATURATING and f.info.activation_name]
    if not after_flagged:
        return None
    kinds = sorted({str(f.info.activation) for f in after_flagged})
    # Swap that activation everywhere in the model, not only after the flagged layers:
    # a half-sigmoid stack still saturates.
    facts = advisor.diagnosis.facts
    saturating = [f for f in facts.layers if f.info.activation in kinds and f.info.activation_name]
    swapped = tuple(str(f.info.activation_name) for f in saturating)
    return Recommendation(
        action="activation",
        numbers={"layers": list(swapped), "replace": kinds[0], "with": "ReLU"},
        why=finding.code,
        how=f"{'/'.join(kinds)} passes at most {'0.25' if 'Sigmoid' in kinds else '1'} of the "
        "gradient per layer and less when saturated; ReLU passes 1 for active units"
        + advisor.replayed(
            "these activations swapped to ReLU and the layers before them re-initialised with kaiming_normal_"
        ),
        code=f"nn.ReLU()  # instead of nn.{kinds[0]}() after {saturating[0].name}",
        verified=advisor.check(Change(swap=swapped, reinit=tuple(f.name for f in saturating)), "activation=ReLU"),
    )


def batchnorm(_advisor: Advisor, _remedy: AddBatchNorm, finding: Finding, flagged: list[LayerFacts]) -> Recommendation:
    return Recommendation(
        action="batchnorm",
        numbers={"layers": [f.name for f in flagged]},
        why=finding.code,
        how="normalising each layer's output keeps activations out of the saturated range "
        "and the gradient scale even through depth",
        code=f"nn.BatchNorm1d(num_features)  # after {flagged[0].name}, before its activation",
    )


def residual(
    advisor: Advisor, remedy: AddResidual, finding: Finding, flagged: list[LayerFacts]
) -> Recommendation | None:
    depth = len(advisor.diagnosis.facts.dense())
    if depth < remedy.min_depth:
        return None
    return Recommendation(
        action="residual",
        numbers={"layers": [f.name for f in flagged]},
        why=finding.code,
        how=f"{depth} dense layers in sequence; skip connections give the "
        "gradient a path that does not shrink with depth",
        code="x = x + block(x)",
    )


def kaiming_init(
    advisor: Advisor, remedy: KaimingInit, finding: Finding, flagged: list[LayerFacts]
) -> Recommendation | None:
    """The flagged dense layers re-initialised so each keeps its gain near 1."""
    dense = tuple(f.name for f in flagged if f.info.kind in INIT_KINDS)
    if not dense:
        return None
    return Recommendation(
        action="init",
        numbers={"layers": list(dense), "scheme": "kaiming_normal_" + (", zero bias" if remedy.zero_bias else "")},
        why=finding.code,
        how=remedy.cause
        + "kaiming init keeps each layer's gain near 1"
        + advisor.replayed("these layers re-initialised"),
        code="nn.init.kaiming_normal_(layer.weight, nonlinearity='relu'); nn.init.zeros_(layer.bias)",
        verified=advisor.check(Change(reinit=dense), "init=kaiming"),
    )


def to_leaky_relu(
    advisor: Advisor, _remedy: ToLeakyReLU, finding: Finding, flagged: list[LayerFacts]
) -> Recommendation | None:
    """ReLUs after the flagged layers swapped to LeakyReLU, so a dead unit can recover."""
    relu = tuple(
        str(f.info.activation_name) for f in flagged if f.info.activation in RELU_FAMILY and f.info.activation_name
    )
    if not relu:
        return None
    return Recommendation(
        action="activation",
        numbers={"layers": list(relu), "replace": "ReLU", "with": "LeakyReLU"},
        why=finding.code,
        how="a LeakyReLU unit passes a small gradient when inactive, so it can recover"
        + advisor.replayed("these activations swapped"),
        code="nn.LeakyReLU(0.01)  # instead of nn.ReLU()",
        verified=advisor.check(Change(swap=relu, swap_to="LeakyReLU"), "activation=LeakyReLU"),
    )


# The autocast precision that keeps float32 master weights for weights held in each low dtype.
MIXED = {"bfloat16": "bf16-mixed", "float16": "16-mixed"}
AUTOCAST = {"bf16-mixed": "torch.bfloat16", "16-mixed": "torch.float16"}
KEEP_LOW = (
    "to keep the weights in bf16 instead (unverified: not replayed), an optimizer with stochastic "
    "rounding or Kahan-compensated updates, e.g. torchao.optim.AdamW(params, lr, bf16_stochastic_round=True) "
    "or optimi.AdamW(params, lr, kahan_sum=True)"
)


def master_weights(
    advisor: Advisor, _remedy: MasterWeights, finding: Finding, flagged: list[LayerFacts]
) -> Recommendation | None:
    """float32 master weights: the parameters in float32, the forward under autocast in the low dtype."""
    dtype = advisor.record.run.dtype
    mixed = MIXED.get(dtype)
    if mixed is None:
        return None
    share = finding.evidence.get("lost_share")
    lost = f"{share:.0%} of the updates" if isinstance(share, float) else "most updates"
    optimizer = advisor.record.run.optimizer
    # 16-mixed steps through a GradScaler, which cannot step an optimizer that needs a closure:
    # bfloat16 autocast needs no scaler, so float16 weights under LBFGS get that instead.
    closure = mixed == "16-mixed" and optimizer in CLOSURE_OPTIMIZERS
    if closure:
        mixed = "bf16-mixed"
    why_bf16 = f" (not 16-mixed: its GradScaler cannot step {optimizer}, which takes a closure)" if closure else ""
    return Recommendation(
        action="precision",
        numbers={
            "precision": mixed,
            "from": advisor.record.run.precision or dtype,
            "layers": [f.name for f in flagged],
        },
        why=finding.code,
        how=f"{dtype} weights rounded {lost} away; float32 master weights take every update while the "
        f"forward still runs in {'bfloat16' if closure else dtype} under torch.autocast{why_bf16}"
        + advisor.replayed(f"the parameters in float32 and the forward under autocast ({mixed})")
        + f"; {KEEP_LOW}",
        code=f"model.float()  # then: with torch.autocast(device_type, dtype={AUTOCAST[mixed]}): loss = ...",
        verified=advisor.check(Change(precision=mixed), f"precision={mixed}", Bar(fell_further=FELL_FURTHER)),
    )


# Master weights change nothing but the rounding, from the same start on the same batches: a
# replay whose loss fell at least this many times as far as the measured run's, and ended lower,
# took the updates the measured run lost (replay.Bar.fell_further).
FELL_FURTHER = 2.0


def to_bfloat16(
    advisor: Advisor, _remedy: ToBFloat16, finding: Finding, _flagged: list[LayerFacts]
) -> Recommendation | None:
    """bfloat16 autocast instead of float16 under a GradScaler: float32's range, nothing to scale."""
    return Recommendation(
        action="precision",
        numbers={"precision": "bf16-mixed", "from": advisor.record.run.precision or "16-mixed"},
        why=finding.code,
        how="bfloat16 has float32's exponent range, so what overflows float16 does not, and it needs no "
        "GradScaler" + advisor.replayed("bf16-mixed instead of 16-mixed") + "; if the weights, not the inputs, "
        "grew: a lower learning rate, or clipping after scaler.unscale_(optimizer) (not replayed)",
        code="with torch.autocast(device_type, dtype=torch.bfloat16): loss = ...  # no GradScaler",
        verified=advisor.check(Change(precision="bf16-mixed"), "precision=bf16-mixed"),
    )


_MAKERS: dict[type, Callable[..., Recommendation | None]] = {
    ToReLU: to_relu,
    AddBatchNorm: batchnorm,
    AddResidual: residual,
    KaimingInit: kaiming_init,
    ToLeakyReLU: to_leaky_relu,
    MasterWeights: master_weights,
    ToBFloat16: to_bfloat16,
}
