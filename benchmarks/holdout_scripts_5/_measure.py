"""Plain measuring runner for the training scripts beside it (written independently of gradscope).

Runs SCRIPT [ARGS...] as ``python SCRIPT ARGS`` would (runpy, ``__main__``, its own argv, its folder
first on sys.path) and observes every torch optimizer step through torch's global hooks:

- ``register_optimizer_step_pre_hook``: snapshot of every parameter the optimizer holds (float64);
- ``register_optimizer_step_post_hook``: per parameter tensor ||W_after - W_before|| / ||W_before||
  (tensors whose norm before the step is 0, e.g. a LoRA B matrix at init, are left out of the ratio
  and counted apart), and the total gradient norm the step used (read in the pre hook, or in the
  post hook when step() is given a closure, as Lightning does);
- ``torch.autograd.backward`` (which ``Tensor.backward`` calls) is wrapped to record the scalar loss(es)
  backward is called on since the previous step (their sum is the step's loss).

After ``--stop N`` steps (default 60) it raises a BaseException from the post hook, like a Ctrl-C.
Prints, for the first 10/20/30/40 steps: loss start / max (step) / min / end, total grad norm range,
the median over tensors of the update ratio (its range over the steps), and the per-step losses.

``--probe-policy`` (stable-baselines3): every step also measures the policy's mean action entropy and
the largest action probability (mean over 256 fixed CartPole-range observations), and the mean |value|.

Run (from /work/main):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_scripts_5/_measure.py [--stop N] SCRIPT [ARGS...]
"""

from __future__ import annotations

import argparse
import gc
import math
import runpy
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


class Stop(BaseException):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stop", type=int, default=60)
    parser.add_argument("--marks", type=int, nargs="+", default=[10, 20, 30, 40])
    parser.add_argument("--probe-policy", action="store_true")
    parser.add_argument("--quiet-losses", action="store_true")
    parser.add_argument("--groups", default="", help="comma-separated name parts: median ratio per group")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args()

    steps: list[dict] = []
    pending: list[float] = []
    snap: dict[int, torch.Tensor] = {}
    probe: dict = {}

    real_backward = torch.autograd.backward

    def backward(tensors, *args, **kwargs):  # type: ignore[no-untyped-def]
        t = tensors[0] if isinstance(tensors, (tuple, list)) and len(tensors) == 1 else tensors
        if isinstance(t, torch.Tensor) and t.numel() == 1:
            pending.append(float(t.detach()))
        return real_backward(tensors, *args, **kwargs)

    torch.autograd.backward = backward

    def params_of(opt):  # type: ignore[no-untyped-def]
        return [p for g in opt.param_groups for p in g["params"]]

    def has_closure(args, kwargs) -> bool:  # type: ignore[no-untyped-def]
        # torch hands the hook step()'s positional arguments, the optimizer itself first
        return any(callable(a) and not isinstance(a, torch.optim.Optimizer) for a in args) or callable(
            kwargs.get("closure")
        )

    pre_grad: list[float] = []

    def pre(opt, args, kwargs):  # type: ignore[no-untyped-def]
        snap.clear()
        pre_grad.clear()
        if not has_closure(args, kwargs):  # the step's gradient is there already (some optimizers edit it in place)
            pre_grad.append(math.sqrt(sum(float(p.grad.detach().double().pow(2).sum())
                                          for p in params_of(opt) if p.grad is not None)))  # fmt: skip
        for p in params_of(opt):
            snap[id(p)] = p.detach().double().clone()

    def policy_figures() -> tuple[float, float, float]:
        if "policy" not in probe:
            from stable_baselines3.common.policies import ActorCriticPolicy

            pols = [o for o in gc.get_objects() if isinstance(o, ActorCriticPolicy)]
            probe["policy"] = pols[0]
            g = torch.Generator().manual_seed(123)
            lo = torch.tensor([-2.4, -3.0, -0.21, -3.0])
            probe["obs"] = lo + (-2 * lo) * torch.rand(256, 4, generator=g)
        pol, obs = probe["policy"], probe["obs"]
        with torch.no_grad():
            dist = pol.get_distribution(obs).distribution
            value = pol.predict_values(obs)
        return float(dist.entropy().mean()), float(dist.probs.max(-1).values.mean()), float(value.abs().mean())

    names: dict[int, str] = {}
    groups = [g for g in ns.groups.split(",") if g]

    def name_params() -> None:
        mods = [o for o in gc.get_objects() if isinstance(o, torch.nn.Module)]
        root = max(mods, key=lambda m: sum(1 for _ in m.parameters()))
        names.update({id(p): n for n, p in root.named_parameters()})

    def post(opt, args, kwargs):  # type: ignore[no-untyped-def]
        ratios, zero_start, sq = [], 0, 0.0
        if groups and not names:
            name_params()
        by_group: dict[str, list[float]] = {g: [] for g in [*groups, "rest"]}
        for p in params_of(opt):
            if p.grad is not None:
                sq += float(p.grad.detach().double().pow(2).sum())
            before = snap.get(id(p))
            if before is None:
                continue
            n = float(before.norm())
            d = float((p.detach().double() - before).norm())
            if n == 0:
                zero_start += 1
            else:
                ratios.append(d / n)
            if groups:
                hit = [g for g in groups if g in names.get(id(p), "")]
                by_group[hit[0] if hit else "rest"].append(d / n if n else float("inf"))
        rec = {
            "loss": sum(pending) if pending else float("nan"),
            "grad": pre_grad[0] if pre_grad else math.sqrt(sq),
            "ratio": statistics.median(ratios) if ratios else float("nan"),
            "ratio_max": max(ratios) if ratios else float("nan"),
            "zero_start": zero_start,
            "groups": {g: statistics.median(v) for g, v in by_group.items() if v},
        }
        if ns.probe_policy:
            rec["entropy"], rec["pmax"], rec["value"] = policy_figures()
        pending.clear()
        steps.append(rec)
        if len(steps) >= ns.stop:
            raise Stop

    register_optimizer_step_pre_hook(pre)
    register_optimizer_step_post_hook(post)

    script = Path(ns.script).resolve()
    sys.argv = [str(script), *ns.args]
    sys.path.insert(0, str(script.parent))
    started = time.perf_counter()
    stopped = False
    try:
        runpy.run_path(str(script), run_name="__main__")
    except Stop:
        stopped = True
    wall = time.perf_counter() - started
    torch.autograd.backward = real_backward

    print(f"\n== {script.name} {' '.join(ns.args)}: {len(steps)} optimizer steps"
          f"{' (stopped)' if stopped else ' (script ended)'}, {wall:.1f} s")  # fmt: skip
    print("  steps  loss start / max (step) / min / end     total grad norm   median-tensor update ratio")
    for m in ns.marks:
        part = steps[:m]
        if len(part) < m:
            continue
        losses = [r["loss"] for r in part]
        imax = max(range(m), key=lambda i: losses[i] if not math.isnan(losses[i]) else -math.inf)
        g = [r["grad"] for r in part]
        rr = [r["ratio"] for r in part]
        line = (f"  {m:<5}  {losses[0]:.3g} / {losses[imax]:.3g} ({imax}) / {min(losses):.3g} / {losses[-1]:.3g}"
                f"   {min(g):.3g}..{max(g):.3g}   {min(rr):.2g}..{max(rr):.2g} (step {m}: {rr[-1]:.2g})")  # fmt: skip
        if groups:
            line += "  " + ", ".join(f"{k} {v:.2g}" for k, v in part[-1]["groups"].items())
        if ns.probe_policy:
            line += (f"   entropy {part[-1]['entropy']:.3f} (min {min(r['entropy'] for r in part):.3f}),"
                     f" pmax {part[-1]['pmax']:.3f}, |V| {part[-1]['value']:.3g}")  # fmt: skip
        print(line)
    if steps and steps[0]["zero_start"]:
        print(f"  tensors with zero norm before step 1 (left out of the ratio): {steps[0]['zero_start']}")
    if not ns.quiet_losses:
        print("  losses: " + " ".join(f"{r['loss']:.4g}" for r in steps))
        print("  median ratio: " + " ".join(f"{r['ratio']:.2g}" for r in steps))
        if ns.probe_policy:
            print("  entropy: " + " ".join(f"{r['entropy']:.3f}" for r in steps))


if __name__ == "__main__":
    main()
