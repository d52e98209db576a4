"""A Report as the plain dict of its JSON form, and the dict back as a Report.

The dict is what render/json.py writes and reads (docs/contract.md describes
it). It is strict JSON: no bare NaN/Infinity tokens, which many parsers reject;
non-finite floats become the strings "NaN", "Infinity", "-Infinity" and are read
back as floats. Rebuilding a Report never executes anything from the data.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from typing import Any

from gradscope.data.notes import Note, NoteCode, Voice
from gradscope.data.rates import RateKind
from gradscope.data.records import (
    SCHEMA_VERSION,
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
    ratio,
)
from gradscope.data.summary import finite_median
from gradscope.errors import UsageError

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _num(value: float | None) -> float | str | None:
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _float(value: Any) -> float:
    if isinstance(value, str):
        if value in _NONFINITE:
            return _NONFINITE[value]
        raise ValueError(f"not a number: {value!r}")
    if value is None:
        return math.nan
    return float(value)


def _clean(value: Any) -> Any:
    """Make any nested evidence JSON-safe."""
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def layer_summary(record: RunRecord, index: int) -> dict[str, Any]:
    """Per-layer figures over the run (medians), as shown in tables and the JSON."""
    steps = record.steps
    if not steps:
        return {}
    return {
        "grad_norm": finite_median(record.column("grad_norm", index)),
        "weight_norm": finite_median(record.column("weight_norm", index)),
        "update_norm": finite_median(record.column("update_norm", index)),
        "update_ratio": finite_median(record.column("update_ratio", index)),
        "zero_grad_frac": statistics.median(record.column("zero_grad_frac", index)),
        "dead_unit_frac": min((s.dead_unit_frac[index] for s in steps if s.dead_unit_frac), default=0.0),
        "nonfinite_grad": int(sum(s.nonfinite_grad[index] for s in steps)),
        "nonfinite_weight": int(max(s.nonfinite_weight[index] for s in steps)),
        "grad_steps": int(sum(1 for s in steps if s.has_grad[index])),
    }


# ---------------------------------------------------------------- Report -> dict


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "gradscope",
        "verdict": report.verdict.value,
        "layers": _layer_dicts(report),
        "findings": [_finding_dict(f) for f in report.findings],
        "recommendations": [_recommendation_dict(r) for r in report.recommendations],
        "run": _run_dict(report.record.run),
        "notes": list(report.said()),
        "extra": _clean(dict(report.extra)),
        "steps": [_step_dict(report.record, s) for s in report.record.steps],
    }


def _layer_dicts(report: Report) -> list[dict[str, Any]]:
    record = report.record
    return [
        {
            "name": layer.name,
            "kind": layer.kind,
            "params": layer.params,
            "status": status.value,
            "role": layer.role.value,
            "trainable": layer.trainable,
            "optimized": layer.optimized,
            "shared_with": list(layer.shared_with),
            "param_names": list(layer.param_names),
            "activation": layer.activation,
            "activation_name": layer.activation_name,
            **_clean(layer_summary(record, i)),
        }
        for i, (layer, status) in enumerate(zip(record.layers, report.statuses, strict=True))
    ]


def _step_dict(record: RunRecord, s: StepRecord) -> dict[str, Any]:
    return {
        "step": s.step,
        "loss": _num(s.loss),
        "total_grad_norm": _num(s.total_grad_norm),
        "lr": [_num(v) for v in s.lr],
        # Only where the script built a policy's distributions, so other reports read as they did.
        **({} if s.policy_entropy is None else {"policy_entropy": _num(s.policy_entropy)}),
        "layers": {
            layer.name: {
                "grad_norm": _num(s.grad_norm[i]),
                "weight_norm": _num(s.weight_norm[i]),
                "update_norm": _num(s.update_norm[i]),
                "update_ratio": _num(ratio(s.update_norm[i], s.weight_norm[i])),
                "nonfinite_grad": s.nonfinite_grad[i],
                "nonfinite_weight": s.nonfinite_weight[i],
                "zero_grad_frac": _num(s.zero_grad_frac[i]),
                "dead_unit_frac": _num(s.dead_unit_frac[i]) if s.dead_unit_frac else None,
                "has_grad": s.has_grad[i],
                # Only for bf16/fp16 weights, so a float32 report reads as it always did.
                **(
                    {"lost_frac": _num(s.lost_frac[i]), "update_spacings": _num(s.update_spacings[i])}
                    if s.lost_frac
                    else {}
                ),
            }
            for i, layer in enumerate(record.layers)
        },
    }


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "rule": f.rule,
        "severity": f.severity.value,
        "layers": list(f.layers),
        "evidence": _clean(dict(f.evidence)),
        "message": f.message,
        "fix": f.fix,
        "verdict": f.verdict.value if f.verdict else None,
        "status": f.status.value if f.status else None,
        "withdrawn": f.withdrawn,
    }


def _recommendation_dict(r: Recommendation) -> dict[str, Any]:
    v = r.verified
    return {
        "action": r.action,
        **_clean(dict(r.numbers)),
        "why": r.why,
        "how": r.how,
        "code": r.code,
        "verified": None
        if v is None
        else {
            "loss_before": _num(v.loss_before),
            "loss_after": _num(v.loss_after),
            "improved": v.improved,
            "curve_before": [_num(x) for x in v.curve_before],
            "curve_after": [_num(x) for x in v.curve_after],
        },
    }


def _run_dict(run: RunInfo) -> dict[str, Any]:
    return {
        "script": run.script,
        "steps": run.steps,
        "seed": run.seed,
        "device": run.device,
        "dtype": run.dtype,
        "optimizer": run.optimizer,
        "lr": [_num(v) for v in run.lr],
        "torch": run.torch,
        "gradscope": run.gradscope,
        "wall_s": run.wall_s,
        "default_optimizer": run.default_optimizer,
        "total_params": run.total_params,
        "trainable_params": run.trainable_params,
        "skipped_steps": run.skipped_steps,
        "loss_source": run.loss_source,
        "every": run.every,
        "memory": run.memory,
        "classes": run.classes,
        "partial": run.partial,
        "cut": run.cut,
        "budget_s": run.budget_s,
        # Only when the rate is not the group's plain lr (absent: "number"), so reports of
        # ordinary optimizers read as they always have.
        **({} if run.lr_kind is RateKind.NUMBER else {"lr_kind": run.lr_kind.value}),
        # Only when said or measured, so a report without them reads as it always did.
        **({"precision": run.precision} if run.precision is not None else {}),
        **(
            {"loss_scales": [_num(v) for v in run.loss_scales], "scaler_iterations": run.scaler_iterations}
            if run.loss_scales
            else {}
        ),
    }


# ---------------------------------------------------------------- dict -> Report


def from_dict(data: Any, source: str = "report") -> Report:
    """Rebuild a Report; anything that is not a gradscope report is a UsageError."""
    if not isinstance(data, dict) or "schema_version" not in data or "layers" not in data:
        raise UsageError(f"{source} is not a gradscope report (no schema_version/layers); pass a --json output")
    if data["schema_version"] != SCHEMA_VERSION:
        raise UsageError(
            f"{source} has schema_version {data['schema_version']!r}; this gradscope reads {SCHEMA_VERSION}"
        )
    try:
        layers = tuple(_layer_info(d) for d in data["layers"])
        names = [layer.name for layer in layers]
        steps = tuple(_step_record(s, names) for s in data.get("steps", []))
        run = _run_info(data["run"])
        if not isinstance(data.get("notes", []), list):
            raise TypeError("notes is not a list")
        findings = tuple(_finding(f) for f in data.get("findings", []))
        recommendations = tuple(_recommendation(r) for r in data.get("recommendations", []))
        return Report(
            record=RunRecord(run=run, layers=layers, steps=steps),
            verdict=Verdict(data["verdict"]),
            statuses=tuple(LayerStatus(d["status"]) for d in data["layers"]),
            findings=findings,
            recommendations=recommendations,
            notes=tuple(Note(NoteCode.SAID, {"text": str(n)}) for n in data.get("notes", [])),
            voice=Voice(door="saved"),
            extra=dict(data.get("extra", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, IndexError) as exc:
        raise UsageError(f"{source} is not a valid gradscope report ({type(exc).__name__}: {exc})") from exc


def _layer_info(d: Mapping[str, Any]) -> LayerInfo:
    return LayerInfo(
        name=str(d["name"]),
        kind=str(d["kind"]),
        params=int(d["params"]),
        role=Role(d.get("role", "other")),
        param_names=tuple(d.get("param_names", ())),
        trainable=bool(d.get("trainable", True)),
        optimized=bool(d.get("optimized", True)),
        shared_with=tuple(d.get("shared_with", ())),
        activation=d.get("activation"),
        activation_name=d.get("activation_name"),
    )


def _step_record(s: Mapping[str, Any], names: list[str]) -> StepRecord:
    per = s["layers"]
    return StepRecord(
        step=int(s["step"]),
        loss=None if s.get("loss") is None else _float(s["loss"]),
        total_grad_norm=_float(s["total_grad_norm"]),
        lr=tuple(_float(v) for v in s.get("lr", [])),
        grad_norm=tuple(_float(per[n]["grad_norm"]) for n in names),
        weight_norm=tuple(_float(per[n]["weight_norm"]) for n in names),
        update_norm=tuple(_float(per[n]["update_norm"]) for n in names),
        nonfinite_grad=tuple(int(per[n]["nonfinite_grad"]) for n in names),
        nonfinite_weight=tuple(int(per[n]["nonfinite_weight"]) for n in names),
        zero_grad_frac=tuple(_float(per[n]["zero_grad_frac"]) for n in names),
        has_grad=tuple(bool(per[n]["has_grad"]) for n in names),
        dead_unit_frac=tuple(_float(per[n].get("dead_unit_frac")) for n in names),
        lost_frac=_optional(per, names, "lost_frac"),
        update_spacings=_optional(per, names, "update_spacings"),
        policy_entropy=None if s.get("policy_entropy") is None else _float(s["policy_entropy"]),
    )


def _optional(per: Mapping[str, Any], names: list[str], key: str) -> tuple[float, ...]:
    """A per-layer figure only some reports carry (bf16/fp16 weights): () when absent."""
    if not any(key in per[n] for n in names):
        return ()
    return tuple(_float(per[n].get(key)) for n in names)


def _run_info(r: Mapping[str, Any]) -> RunInfo:
    script = r.get("script")
    if script is not None and not isinstance(script, str):
        raise TypeError("run.script is not a string")
    return RunInfo(
        script=script,
        steps=int(r["steps"]),
        seed=r.get("seed"),
        device=str(r["device"]),
        dtype=str(r["dtype"]),
        optimizer=str(r["optimizer"]),
        lr=tuple(_float(v) for v in r.get("lr", [])),
        torch=str(r.get("torch", "")),
        gradscope=str(r.get("gradscope", "")),
        wall_s=float(r.get("wall_s", 0.0)),
        default_optimizer=bool(r.get("default_optimizer", False)),
        total_params=int(r.get("total_params", 0)),
        trainable_params=int(r.get("trainable_params", 0)),
        skipped_steps=int(r.get("skipped_steps", 0)),
        loss_source=str(r.get("loss_source", "script")),
        every=int(r.get("every", 1)),
        memory=str(r.get("memory", "exact")),
        classes=int(r["classes"]) if r.get("classes") is not None else None,
        partial=bool(r.get("partial", False)),
        cut=str(r["cut"]) if r.get("cut") is not None else None,
        budget_s=float(r["budget_s"]) if r.get("budget_s") is not None else None,
        lr_kind=RateKind(r.get("lr_kind", RateKind.NUMBER.value)),
        precision=str(r["precision"]) if r.get("precision") is not None else None,
        loss_scales=tuple(_float(v) for v in r.get("loss_scales", [])),
        scaler_iterations=int(r.get("scaler_iterations", 0)),
    )


def _finding(f: Mapping[str, Any]) -> Finding:
    return Finding(
        code=str(f["code"]),
        rule=str(f["rule"]),
        severity=Severity(f["severity"]),
        layers=tuple(f.get("layers", ())),
        evidence=dict(f.get("evidence", {})),
        message=str(f.get("message", "")),
        fix=str(f.get("fix", "")),
        verdict=Verdict(f["verdict"]) if f.get("verdict") else None,
        status=LayerStatus(f["status"]) if f.get("status") else None,
        withdrawn=str(f["withdrawn"]) if f.get("withdrawn") else None,
    )


# Keys of a recommendation that are not its numbers.
_NOT_NUMBERS = frozenset({"action", "why", "how", "code", "verified"})


def _recommendation(rec: Mapping[str, Any]) -> Recommendation:
    v = rec.get("verified")
    return Recommendation(
        action=str(rec["action"]),
        numbers={k: val for k, val in rec.items() if k not in _NOT_NUMBERS},
        why=str(rec.get("why", "")),
        how=str(rec.get("how", "")),
        code=str(rec.get("code", "")),
        verified=None
        if v is None
        else Verified(
            loss_before=_float(v["loss_before"]),
            loss_after=_float(v["loss_after"]),
            improved=bool(v["improved"]),
            curve_before=tuple(_float(x) for x in v.get("curve_before", [])),
            curve_after=tuple(_float(x) for x in v.get("curve_after", [])),
        ),
    )
