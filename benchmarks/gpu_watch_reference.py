"""watch's figures on CUDA in float32 against float64 references on the same GPU.

Three small models (an MLP with LayerNorm, a CNN with BatchNorm, a one-block transformer with
embeddings) are built once in float32 and trained for a few steps with plain SGD (lr 0.1, no
momentum) under `gradscope.watch`, on the GPU. The saved report (`w.save`, the JSON of
docs/contract.md) gives every layer's grad_norm, weight_norm and update_norm per step. Two
references, both in float64 on the same GPU:

1. exact: the float32 run's own tensors, read by plain torch optimizer hooks around each step
   and reduced in float64 (gradients and weights before the step, weights after it). This
   tests gradscope's measurement alone (its reductions, its snapshot, which tensors it reads):
   every step, every layer, every figure within 1e-5 relative. A float32 sum of squares over n
   entries is off by about log2(n) * 6e-8 relative, and the difference of a float32 snapshot
   and the new float32 weights is exact when they are this close (Sterbenz), so gradscope
   should land near 1e-6; a reduction in half precision, a wrong or stale tensor, or a
   sampled update would be 1e-3 or worse.
2. float64 copy: the same weights (every float32 is a float64) and the same batches (float
   inputs cast to float64, exactly) trained in float64 under its own watch. Step 1 starts both
   runs from identical weights, so its figures differ only by float32 arithmetic: grad_norm
   and weight_norm within 1e-5 relative. update_norm is read from float32 weights: each entry
   of w - lr * g is rounded to half an ulp of |w| (at most 6e-8 |w|), which against an update
   of ratio 1e-4 (a LayerNorm weight of ones, an embedding) is 6e-4 of that entry. So the
   update's tolerance is 1e-5 relative plus that rounding's bound, 2^-24 * ||w_after|| (the
   float32 run's weights after the step); the figure shows both. Steps after the first are
   listed (info): after one float32 step the two runs have different weights, and their
   figures drift apart by roundoff times the model's sensitivity.

Why SGD without momentum: a step is w - lr * g, so both runs see the same arithmetic at step 1;
with Adam the first update is about lr * sign(g), and entries whose gradient is near Adam's eps
flip with roundoff. TF32 is off (cuBLAS and cuDNN): with 10 mantissa bits it is off by about
1e-3 and would test the tensor cores rather than gradscope (benchmarks/gpu_diagnose_compare.py
runs with torch's defaults instead).

Run: python benchmarks/gpu_watch_reference.py [--steps 3] [--json ROWS.json] [--device cuda]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

import gradscope

FIGURES = ("grad_norm", "weight_norm", "update_norm")
RTOL = 1e-5
LR = 0.1

Batch = tuple[torch.Tensor, torch.Tensor]


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 256), nn.LayerNorm(256), nn.Tanh(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )  # fmt: skip


class TinyLM(nn.Module):
    def __init__(self, vocab: int = 500, dim: int = 64, seq: int = 32) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(seq, dim)
        self.block = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)
        self.head = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.tok(x) + self.pos(torch.arange(x.shape[1], device=x.device))))


def lm_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def cases(steps: int) -> list[tuple[str, Callable[[], nn.Module], list[Batch], Callable[..., torch.Tensor]]]:
    g = torch.Generator().manual_seed(0)

    def classes(n: int, c: int) -> torch.Tensor:
        return torch.randint(0, c, (n,), generator=g)

    return [
        (
            "MLP + LayerNorm",
            mlp,
            [(torch.randn(64, 64, generator=g), classes(64, 10)) for _ in range(steps)],
            F.cross_entropy,
        ),
        (
            "CNN + BatchNorm",
            cnn,
            [(torch.randn(32, 3, 16, 16, generator=g), classes(32, 10)) for _ in range(steps)],
            F.cross_entropy,
        ),
        (
            "transformer + embeddings",
            TinyLM,
            [
                (torch.randint(0, 500, (8, 32), generator=g), torch.randint(0, 500, (8, 32), generator=g))
                for _ in range(steps)
            ],
            lm_loss,
        ),
    ]


class Exact:
    """Float64 figures of a run's own tensors around each optimizer step (plain torch hooks).

    Layers as gradscope names them: every module that owns parameters itself, by its path in
    named_modules(), "(root)" for the top module's own; a shared tensor counts under its first owner.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        seen: set[int] = set()
        self.layers: list[tuple[str, list[nn.Parameter]]] = []
        for name, module in model.named_modules():
            own = [p for p in module.parameters(recurse=False) if id(p) not in seen]
            seen.update(id(p) for p in own)
            if own:
                self.layers.append((name or "(root)", own))
        self.steps: list[dict[str, dict[str, float]]] = []
        self._before: list[list[torch.Tensor]] = []
        self._grads: list[float] = []
        optimizer.register_step_pre_hook(self._pre)
        optimizer.register_step_post_hook(self._post)

    @staticmethod
    def _norm(tensors: list[torch.Tensor]) -> float:
        return math.sqrt(sum(float(t.double().pow(2).sum()) for t in tensors))

    def _pre(self, *_: Any) -> None:
        self._before = [[p.detach().double() for p in ps] for _, ps in self.layers]
        self._grads = [self._norm([p.grad for p in ps if p.grad is not None]) for _, ps in self.layers]

    def _post(self, *_: Any) -> None:
        step = {}
        for (name, ps), before, grad in zip(self.layers, self._before, self._grads, strict=True):
            after = [p.detach().double() for p in ps]
            step[name] = {
                "grad_norm": grad,
                "weight_norm": self._norm(before),
                "update_norm": self._norm([a - b for a, b in zip(after, before, strict=True)]),
                "weight_after": self._norm(after),
            }
        self.steps.append(step)


def watched(
    model: nn.Module, batches: list[Batch], loss_fn: Callable[..., torch.Tensor], dtype: torch.dtype, device: str
) -> tuple[dict[str, Any], Exact]:
    """The saved report of watched SGD steps, one a batch, of a copy of `model` in `dtype` on
    `device`, and the exact float64 figures of that run's own tensors."""
    model = copy.deepcopy(model).to(device=device, dtype=dtype)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    with gradscope.watch(model, opt) as w:
        exact = Exact(model, opt)
        for x, y in batches:
            inputs = x.to(device, dtype=dtype) if x.is_floating_point() else x.to(device)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs), y.to(device))
            loss.backward()
            w.loss(loss)
            opt.step()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.json"
        w.save(str(path))
        report: dict[str, Any] = json.loads(path.read_text())
    return report, exact


def number(value: Any) -> float:
    return math.nan if value is None else float(str(value).replace("Infinity", "inf"))


def relative(a: float, b: float) -> float:
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


Worst = tuple[float, str]


def against(
    report: dict[str, Any], reference: list[dict[str, dict[str, float]]], steps: range, figures: tuple[str, ...]
) -> Worst:
    """The largest relative difference of the report's figures from `reference` over these steps
    (0-based), and where it is; a layer missing on either side is infinite."""
    found: Worst = (0.0, "")
    for i in steps:
        ours = report["steps"][i]["layers"]
        if set(ours) != set(reference[i]):
            return math.inf, f"step {i + 1}: layers differ: {sorted(set(ours) ^ set(reference[i]))}"
        for layer, ref in reference[i].items():
            for figure in figures:
                got = number(ours[layer][figure])
                r = relative(got, ref[figure])
                if r >= found[0]:
                    found = (r, f"step {i + 1} {layer}.{figure} {got:.7g} vs {ref[figure]:.7g}")
    return found


def as_reference(report: dict[str, Any]) -> list[dict[str, dict[str, float]]]:
    return [
        {layer: {f: number(v[f]) for f in FIGURES} for layer, v in step["layers"].items()} for step in report["steps"]
    ]


def update_allowance(report: dict[str, Any], double: dict[str, Any], exact: Exact) -> Worst:
    """Step 1's update_norm against the float64 copy, as a multiple of its tolerance:
    1e-5 relative plus the float32 rounding of the weights after the step (2^-24 ||w_after||)."""
    found: Worst = (0.0, "")
    for layer, ref in double["steps"][0]["layers"].items():
        got, want = number(report["steps"][0]["layers"][layer]["update_norm"]), number(ref["update_norm"])
        rounding = 2.0**-24 * exact.steps[0][layer]["weight_after"]
        tolerance = RTOL * abs(want) + rounding
        share = abs(got - want) / tolerance if tolerance > 0 else (0.0 if got == want else math.inf)
        if share >= found[0]:
            rel = relative(got, want)
            found = (share, f"{layer} {got:.7g} vs {want:.7g}: {rel:.1e} rel, allowed {tolerance / abs(want):.1e}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3, help="steps per run (the first is the float64-copy check)")
    parser.add_argument("--json", type=Path, help="write the rows for benchmarks/gpu_check.sh here")
    parser.add_argument("--device", default="cuda", help="cuda or cuda:N (cpu: a smoke run of this script)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device here")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__}, {where}, TF32 off, SGD lr {LR}, {args.steps} steps")
    rows: list[dict[str, str]] = []

    def add(check: str, figure: str, target: str, result: str) -> None:
        rows.append({"check": check, "figure": figure, "target": target, "result": result})
        print(f"{result:5} {check}: {figure}")
        if args.json:
            args.json.write_text(json.dumps({"rows": rows}))

    for name, build, batches, loss_fn in cases(args.steps):
        torch.manual_seed(0)
        model = build()
        single, exact = watched(model, batches, loss_fn, torch.float32, args.device)
        double, _ = watched(model, batches, loss_fn, torch.float64, args.device)
        counts = (len(single["steps"]), len(exact.steps), len(double["steps"]))
        if counts != (args.steps,) * 3:
            add(f"reference {name}", f"steps recorded (float32, hooks, float64): {counts}", str(args.steps), "FAIL")
            continue
        layers = f"{len(exact.layers)} layers x {len(FIGURES)} figures"
        r, where = against(single, exact.steps, range(args.steps), FIGURES)
        result = "pass" if r <= RTOL else "FAIL"
        add(
            f"reference {name}: exact float64 of the run",
            f"max {r:.1e} over {layers} ({where})",
            f"<= {RTOL:g}",
            result,
        )
        r, where = against(single, as_reference(double), range(1), ("grad_norm", "weight_norm"))
        result = "pass" if r <= RTOL else "FAIL"
        add(f"reference {name}: float64 copy, step 1 grad/weight", f"max {r:.1e} ({where})", f"<= {RTOL:g}", result)
        share, where = update_allowance(single, double, exact)
        add(
            f"reference {name}: float64 copy, step 1 update",
            f"worst {share:.2f}x of its tolerance ({where})",
            f"<= {RTOL:g} + float32 rounding of w",
            "pass" if share <= 1 else "FAIL",
        )
        if args.steps > 1:
            r, where = against(single, as_reference(double), range(1, args.steps), FIGURES)
            add(f"reference {name}: float64 copy, steps 2-{args.steps} (drift)", f"max {r:.1e} ({where})", "", "info")
        verdicts = f"float32 {single['verdict']}, float64 {double['verdict']}"
        add(
            f"reference {name}: verdict",
            verdicts,
            "equal",
            "pass" if single["verdict"] == double["verdict"] else "FAIL",
        )


if __name__ == "__main__":
    main()
