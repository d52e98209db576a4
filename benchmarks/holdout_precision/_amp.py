"""Plain training loop for the precision hold-outs (no gradscope code), shared by the p*_ scripts.

Not a model script (no EXPECTED). ``plain_loop(module)`` trains the script's model for 40 steps exactly as its
module-level ``precision`` says (Lightning's names):

* "32-true" (default): plain fp32 loop;
* "16-true" / "bf16-true": the script has already converted the model to that dtype; the optimizer updates the
  low-precision weights in place (no master copy), nothing else changes;
* "bf16-mixed": fp32 weights, forward + loss under ``torch.autocast("cpu", dtype=torch.bfloat16)``;
* "16-mixed": fp32 weights, forward + loss under ``torch.autocast("cpu", dtype=torch.float16)`` and a
  ``torch.amp.GradScaler("cpu")``: scaler.scale(loss).backward(); scaler.unscale_(opt); scaler.step(opt);
  scaler.update() (unscale_ is called explicitly only so the true gradients can be measured; step() does
  the same thing itself otherwise).

Step i uses batch data[i % len(data)]; torch.manual_seed(0) right before the optimizer is built.

Recorded per step: the loss; the total gradient norm (unscaled; inf/nan counted); the loss scale before the
step and whether the scaler skipped it (non-finite gradients); per layer (module owning parameters) the update
ratio ||W_after - W_before|| / ||W_before||; per parameter kind the number of entries with a non-zero finite
gradient and how many of those have exactly the same value after the optimizer step ("lost updates").
Kinds: embedding (nn.Embedding weights), linear (nn.Linear / Conv1D weights), conv (nn.ConvNd weights),
norm (weights of modules whose class name contains "Norm": gains), bias (any parameter named *bias), other.
"""

from __future__ import annotations

import contextlib
import math
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

KINDS = ("embedding", "linear", "conv", "norm", "bias", "other")


def _kind(module: torch.nn.Module, pname: str) -> str:
    if pname.endswith("bias"):
        return "bias"
    cls = type(module).__name__
    if isinstance(module, torch.nn.Embedding):
        return "embedding"
    if isinstance(module, torch.nn.Linear) or cls == "Conv1D":
        return "linear"
    if isinstance(module, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
        return "conv"
    if "Norm" in cls:
        return "norm"
    return "other"


def forward_loss(mod: Any, model: torch.nn.Module, batch: Any) -> torch.Tensor:
    if getattr(mod, "compute_loss", None) is not None:
        return mod.compute_loss(model, batch)
    if isinstance(batch, dict):
        return model(**batch).loss
    inputs, target = batch
    if isinstance(inputs, dict):
        out = model(**inputs)
    elif isinstance(inputs, (tuple, list)):
        out = model(*inputs)
    else:
        out = model(inputs)
    if getattr(mod, "loss", None) is not None:
        return mod.loss(out, target)
    if getattr(out, "loss", None) is not None:
        return out.loss
    if not torch.is_floating_point(target):
        return F.cross_entropy(out, target)
    return F.mse_loss(out, target)


def train(
    mod: Any,
    model: torch.nn.Module,
    data: list[Any],
    make_opt: Any,
    precision: str = "32-true",
    steps: int = 40,
) -> list[dict[str, Any]]:
    """Train and return one record per step (see the module docstring)."""
    model.train()
    torch.manual_seed(0)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_opt(params) if make_opt else torch.optim.Adam(params, lr=1e-3)
    if precision in ("16-true", "bf16-true"):
        want = torch.float16 if precision == "16-true" else torch.bfloat16
        assert all(p.dtype == want for p in params), "the script must convert the model itself"
    amp_dtype = {"16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}.get(precision)
    scaler = torch.amp.GradScaler("cpu") if precision == "16-mixed" else None
    owners = []  # (layer name, [(param, kind)])
    for name, m in model.named_modules():
        ps = [(p, _kind(m, pn)) for pn, p in m.named_parameters(recurse=False) if p.requires_grad]
        if ps:
            owners.append((name or "(root)", ps))
    recs = []
    for i in range(steps):
        batch = data[i % len(data)]
        before = [[p.detach().clone() for p, _ in ps] for _, ps in owners]
        opt.zero_grad(set_to_none=True)
        ctx = torch.autocast("cpu", dtype=amp_dtype) if amp_dtype is not None else contextlib.nullcontext()
        with ctx:
            loss = forward_loss(mod, model, batch)
        scale = None
        if scaler is not None:
            scale = float(scaler.get_scale())
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
        else:
            loss.backward()
        grads = [[None if p.grad is None else p.grad.detach().clone() for p, _ in ps] for _, ps in owners]
        finite = all(g is None or bool(torch.isfinite(g).all()) for gs in grads for g in gs)
        if scaler is not None:
            scaler.step(opt)
            scaler.update()
        else:
            opt.step()
        total = math.sqrt(sum(float(g.double().pow(2).sum()) for gs in grads for g in gs if g is not None))
        nz = dict.fromkeys(KINDS, 0)
        same = dict.fromkeys(KINDS, 0)
        ratios = {}
        for (name, ps), b4, gs in zip(owners, before, grads, strict=True):
            num = den = 0.0
            for (p, kind), w0, g in zip(ps, b4, gs, strict=True):
                num += float((p.detach().double() - w0.double()).pow(2).sum())
                den += float(w0.double().pow(2).sum())
                if g is None:
                    continue
                mask = (g != 0) & torch.isfinite(g)
                nz[kind] += int(mask.sum())
                same[kind] += int(((p.detach() == w0) & mask).sum())
            ratios[name] = math.sqrt(num / den) if den > 0 else float("nan")
        recs.append(
            {
                "loss": float(loss.detach().float()),
                "total": total,
                "finite": finite,
                "scale": scale,
                "skipped": (scaler is not None and float(scaler.get_scale()) < scale),
                "nz": nz,
                "same": same,
                "ratio": ratios,
            }
        )
    return recs


def fmt(x: float) -> str:
    return f"{x:.3g}"


def summary(recs: list[dict[str, Any]], marks: tuple[int, ...] = (10, 20, 30, 40), title: str = "") -> None:
    """Print loss start/min/end, lost-update shares per kind, loss-scale figures at each mark."""
    if title:
        print(title)
    for m in marks:
        r = recs[:m]
        losses = [x["loss"] for x in r]
        fin = [v for v in losses if math.isfinite(v)]
        bad = m - len(fin)
        lo = f"{fmt(losses[0])} / {fmt(min(fin)) if fin else 'nan'} / {fmt(losses[-1])}"
        meds = []
        for x in r:
            v = sorted(v for v in x["ratio"].values() if math.isfinite(v))
            if v:
                meds.append(v[len(v) // 2])
        tot = [x["total"] for x in r]
        ftot = [t for t in tot if math.isfinite(t)]
        gn = f"{fmt(min(ftot))}..{fmt(max(ftot))}" if ftot else "none finite"
        if len(ftot) < len(tot):
            gn += f" ({len(tot) - len(ftot)} non-finite)"
        line = f"  {m:2d} steps: loss start/min/end {lo}"
        line += f" ({bad} non-finite)" if bad else ""
        line += f" | grad norm {gn} | median-layer update ratio {fmt(min(meds)) if meds else 'nan'}"
        line += f"..{fmt(max(meds)) if meds else 'nan'}"
        nz = {k: sum(x["nz"][k] for x in r) for k in KINDS}
        same = {k: sum(x["same"][k] for x in r) for k in KINDS}
        parts = [f"{k} {same[k] / nz[k]:.0%}" for k in KINDS if nz[k]]
        allnz, allsame = sum(nz.values()), sum(same.values())
        if allnz:
            parts.insert(0, f"all {allsame / allnz:.1%}")
        line += "\n           unchanged despite non-zero grad: " + ", ".join(parts)
        if r[0]["scale"] is not None:
            skipped = sum(x["skipped"] for x in r)
            line += f"\n           loss scale {fmt(r[0]['scale'])} -> {fmt(r[-1]['scale'])}, skipped {skipped}/{m}"
        print(line)
    print("  loss per step:", " ".join(fmt(x["loss"]) for x in recs))
    if recs[0]["scale"] is not None:
        print("  scale per step:", " ".join(fmt(x["scale"]) for x in recs))
        print("  skipped steps:", [i for i, x in enumerate(recs) if x["skipped"]])


def plain_loop(mod: ModuleType, steps: int = 40) -> list[dict[str, Any]]:
    model = mod.model() if not isinstance(mod.model, torch.nn.Module) else mod.model
    data = mod.data() if callable(mod.data) else list(mod.data)
    precision = getattr(mod, "precision", "32-true")
    recs = train(mod, model, data, getattr(mod, "optimizer", None), precision, steps)
    n = sum(p.numel() for p in model.parameters())
    summary(recs, title=f"{mod.__name__}: precision {precision}, {type(model).__name__}, {n:,} params")
    return recs
