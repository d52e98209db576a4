"""gradscope's figures for a sample model beside what a plain PyTorch loop prints.

The plain loop below shares no code with gradscope: it imports the script, seeds
torch the same way, trains the same steps on the same batches and computes per
layer ||grad||, ||W_after - W_before|| / ||W_before|| by hand.
Run: python benchmarks/plain_loop_check.py [sample_models/deep_sigmoid.py] [--steps 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


def plain(script: Path, steps: int) -> dict[str, tuple[float, float]]:
    torch.manual_seed(0)
    spec = importlib.util.spec_from_file_location("plain_user_script", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model: nn.Module = module.model if isinstance(module.model, nn.Module) else module.model()
    batches = list(module.data() if callable(module.data) else module.data)
    make = getattr(module, "optimizer", None)
    opt = make(model.parameters()) if make else torch.optim.Adam(model.parameters(), lr=1e-3)
    layers = {n: m for n, m in model.named_modules() if list(m.parameters(recurse=False))}
    grads: dict[str, list[float]] = {n: [] for n in layers}
    ratios: dict[str, list[float]] = {n: [] for n in layers}
    for step in range(steps):
        x, y = batches[step % len(batches)]
        model.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y) if not y.is_floating_point() else F.mse_loss(out, y)
        loss.backward()
        before = {n: [p.detach().clone() for p in m.parameters(recurse=False)] for n, m in layers.items()}
        for n, m in layers.items():
            grads[n].append(torch.sqrt(sum(p.grad.double().pow(2).sum() for p in m.parameters(recurse=False))).item())
        opt.step()
        for n, m in layers.items():
            after = list(m.parameters(recurse=False))
            du = torch.sqrt(sum((a.double() - b.double()).pow(2).sum() for a, b in zip(after, before[n], strict=True)))
            w = torch.sqrt(sum(b.double().pow(2).sum() for b in before[n]))
            ratios[n].append((du / w).item())
    return {n: (statistics.median(grads[n]), statistics.median(ratios[n])) for n in layers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("script", nargs="?", default="sample_models/deep_sigmoid.py")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    from gradscope.config import RunConfig
    from gradscope.data.codec import layer_summary
    from gradscope.doors.diagnose import run_diagnosis

    report = run_diagnosis(RunConfig(script=Path(args.script), steps=args.steps, device="cpu", verify=False))
    mine = {layer.name: layer_summary(report.record, i) for i, layer in enumerate(report.record.layers)}
    theirs = plain(Path(args.script), args.steps)
    print(f"{args.script}: median over {args.steps} steps")
    print(f"{'layer':10} {'gradscope grad':>15} {'plain grad':>12} {'gradscope ratio':>16} {'plain ratio':>12}")
    for name, (g, r) in theirs.items():
        s = mine[name]
        print(f"{name:10} {s['grad_norm']:>15.4g} {g:>12.4g} {s['update_ratio']:>16.4g} {r:>12.4g}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
