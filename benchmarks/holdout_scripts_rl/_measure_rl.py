"""Plain measuring runner for the RL training scripts beside it (written independently of the tool under test).

Runs SCRIPT [ARGS...] the way ``python SCRIPT ARGS`` would (runpy, run_name ``__main__``, its own argv, its folder
first on sys.path) and watches every torch optimizer step through torch's global optimizer hooks:

- pre hook: float64 snapshot of every parameter the optimizer holds;
- post hook: per tensor ||W_after - W_before|| / ||W_before|| (tensors that are exactly 0 before the step, e.g.
  zero-initialised biases, are left out of the ratio), and the total gradient norm the step used; the median ratio
  is reported over all tensors and over the weight matrices alone (dim >= 2), since a bias that starts at 0 has a
  huge relative change on step 2;
- ``torch.autograd.backward`` is wrapped so the scalar(s) backward() is called on are recorded as the step's loss.

Policy probe (every step): the policy's mean action entropy and mean largest action probability over a fixed set of
observations (256 states visited by a uniformly random policy in the env, seed 123), plus, at the marks (and before
step 1 and after the script ends), an evaluation of the current policy on a separate env copy (seeds 1000..):
mean return of the stochastic policy (sampled actions) and of the greedy policy (argmax), N episodes each.
The policy is found automatically: a stable-baselines3 algorithm object (its .policy, its env id) or, for plain
PyTorch scripts, the nn.Module with the most parameters that maps a batch of observations to [batch, n_actions]
logits (``--env`` names the gymnasium env then).  For the contextual bandit script, ``--bandit`` uses the script's
module-level ``sample_contexts(n, generator)`` and ``best_arm(contexts)`` to probe with 1024 fixed contexts and report
greedy accuracy instead of returns.  All RNG states (torch, numpy, random) are saved and restored around probing,
so the script's own run is not changed by being measured.

Run (from this folder):
  OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py [--stop N] [--marks 10,20,30,40] [--env ID] [--bandit] \
      [--episodes N] [--final] [--per-step] [--no-eval] SCRIPT [ARGS...]
(--stop defaults to 45 steps, raised from the post hook like a Ctrl-C; pass --stop 100000 to let a script finish.)
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import runpy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook


class Stop(BaseException):
    pass


def rng_state():
    return torch.get_rng_state(), np.random.get_state(), random.getstate()


def set_rng_state(s) -> None:
    torch.set_rng_state(s[0])
    np.random.set_state(s[1])
    random.setstate(s[2])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stop", type=int, default=45)
    ap.add_argument("--marks", default="10,20,30,40", help="comma-separated step counts")
    ap.add_argument("--env", default="")
    ap.add_argument("--bandit", action="store_true")
    ap.add_argument("--episodes", type=int, default=10)
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--final", action="store_true", help="also evaluate after the script ends / is stopped")
    ap.add_argument("--per-step", action="store_true", help="print per-step losses, ratios and entropy")
    ap.add_argument("script")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    ns = ap.parse_args()
    ns.marks = [int(x) for x in ns.marks.split(",")]

    steps: list[dict] = []
    pending: list[float] = []
    snap: dict[int, torch.Tensor] = {}
    pre_grad: list[float] = []
    names: dict[int, str] = {}
    probe: dict = {}
    evals: dict = {}

    real_backward = torch.autograd.backward

    def backward(tensors, *a, **k):  # type: ignore[no-untyped-def]
        t = tensors[0] if isinstance(tensors, (tuple, list)) and len(tensors) == 1 else tensors
        if isinstance(t, torch.Tensor) and t.numel() == 1:
            pending.append(float(t.detach()))
        return real_backward(tensors, *a, **k)

    torch.autograd.backward = backward

    def params_of(opt):  # type: ignore[no-untyped-def]
        return [p for g in opt.param_groups for p in g["params"]]

    # ---------------------------------------------------------------- policy discovery
    def find_policy(opt) -> None:  # type: ignore[no-untyped-def]
        from stable_baselines3.common.base_class import BaseAlgorithm

        algos = [o for o in gc.get_objects() if isinstance(o, BaseAlgorithm)]
        mods = [o for o in gc.get_objects() if isinstance(o, torch.nn.Module)]
        opt_ids = {id(p) for p in params_of(opt)}
        root = max(mods, key=lambda m: sum(1 for p in m.parameters() if id(p) in opt_ids))
        names.update({id(p): n for n, p in root.named_parameters()})
        main_mod = sys.modules.get("__main__")
        probe["main"] = main_mod
        if algos:
            algo = algos[0]
            pol = algo.policy
            probe["kind"] = "sb3"
            probe["env_id"] = algo.env.envs[0].spec.id if hasattr(algo.env, "envs") else ns.env

            def logits(obs: torch.Tensor) -> torch.Tensor:
                return pol.get_distribution(obs).distribution.logits

            probe["logits"] = logits
        elif ns.bandit:
            probe["kind"] = "bandit"
            g = torch.Generator().manual_seed(123)
            ctx = main_mod.sample_contexts(1024, g)
            probe["obs"] = ctx
            probe["best"] = main_mod.best_arm(ctx)
            probe["logits"] = pick_module(mods, ctx, opt_ids)
        else:
            probe["kind"] = "plain"
            probe["env_id"] = ns.env
        if probe["kind"] != "bandit":
            import gymnasium as gym

            env = gym.make(probe["env_id"])
            env.action_space.seed(123)
            obs_list = []
            o, _ = env.reset(seed=123)
            while len(obs_list) < 256:
                obs_list.append(o)
                o, _r, term, trunc, _ = env.step(env.action_space.sample())
                if term or trunc:
                    o, _ = env.reset()
            env.close()
            probe["obs"] = torch.as_tensor(np.array(obs_list), dtype=torch.float32)
            probe["n_actions"] = env.action_space.n
            if probe["kind"] == "plain":
                probe["logits"] = pick_module(mods, probe["obs"], opt_ids)

    def pick_module(mods, obs, opt_ids):  # type: ignore[no-untyped-def]
        best, best_n = None, -1
        for m in mods:
            n = sum(1 for p in m.parameters() if id(p) in opt_ids)
            if n == 0:
                continue
            try:
                with torch.no_grad():
                    out = m(obs)
            except Exception:
                continue
            wide = isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[0] == obs.shape[0]
            if wide and out.shape[1] > 1 and n > best_n:
                best, best_n = m, n
        if best is None:
            raise RuntimeError("no policy module found")
        probe["module"] = type(best).__name__
        return best

    def figures() -> tuple[float, float, float]:
        s = rng_state()
        with torch.no_grad():
            lg = probe["logits"](probe["obs"])
            d = torch.distributions.Categorical(logits=lg)
            ent = float(d.entropy().mean())
            pmax = float(d.probs.max(-1).values.mean())
            acc = float((lg.argmax(-1) == probe["best"]).float().mean()) if probe["kind"] == "bandit" else float("nan")
        set_rng_state(s)
        return ent, pmax, acc

    def evaluate() -> dict:
        if ns.no_eval:
            return {}
        if probe["kind"] == "bandit":
            e, _p, a = figures()
            return {"greedy_acc": a, "entropy": e}
        import gymnasium as gym

        s = rng_state()
        g = torch.Generator().manual_seed(7)
        env = gym.make(probe["env_id"])
        out = {}
        for mode in ("sample", "greedy"):
            rets = []
            for ep in range(ns.episodes):
                o, _ = env.reset(seed=1000 + ep)
                done, tot = False, 0.0
                while not done:
                    with torch.no_grad():
                        lg = probe["logits"](torch.as_tensor(o, dtype=torch.float32)[None])[0]
                    if mode == "greedy":
                        a = int(lg.argmax())
                    else:
                        a = int(torch.multinomial(torch.softmax(lg, -1), 1, generator=g))
                    o, r, term, trunc, _ = env.step(a)
                    tot += r
                    done = term or trunc
                rets.append(tot)
            out[mode] = (statistics.mean(rets), min(rets), max(rets))
        env.close()
        set_rng_state(s)
        return out

    # ---------------------------------------------------------------- hooks
    def pre(opt, _args, _kwargs):  # type: ignore[no-untyped-def]
        if "logits" not in probe:
            find_policy(opt)
            ent, pmax, acc = figures()
            probe["start"] = (ent, pmax, acc)
            evals[0] = evaluate()
        snap.clear()
        pre_grad.clear()
        pre_grad.append(math.sqrt(sum(float(p.grad.detach().double().pow(2).sum())
                                      for p in params_of(opt) if p.grad is not None)))  # fmt: skip
        for p in params_of(opt):
            snap[id(p)] = p.detach().double().clone()

    def post(opt, _args, _kwargs):  # type: ignore[no-untyped-def]
        per: dict[str, float] = {}
        ratios, wratios = [], []
        for p in params_of(opt):
            before = snap.get(id(p))
            if before is None:
                continue
            n = float(before.norm())
            d = float((p.detach().double() - before).norm())
            nm = names.get(id(p), f"p{id(p)}")
            if n > 0:
                per[nm] = d / n
                ratios.append(d / n)
                if p.dim() >= 2:
                    wratios.append(d / n)
        ent, pmax, acc = figures()
        rec = {
            "loss": sum(pending) if pending else float("nan"),
            "grad": pre_grad[0] if pre_grad else float("nan"),
            "ratio": statistics.median(ratios) if ratios else float("nan"),
            "ratio_max": max(ratios) if ratios else float("nan"),
            "wratio": statistics.median(wratios) if wratios else float("nan"),
            "per": per,
            "entropy": ent,
            "pmax": pmax,
            "acc": acc,
        }
        pending.clear()
        steps.append(rec)
        if len(steps) in ns.marks:
            evals[len(steps)] = evaluate()
        if len(steps) >= ns.stop:
            raise Stop

    register_optimizer_step_pre_hook(pre)
    register_optimizer_step_post_hook(post)

    script = Path(ns.script).resolve()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent))
    t0 = time.perf_counter()
    stopped = False
    try:
        runpy.run_path(str(script), run_name="__main__")
    except Stop:
        stopped = True
    wall = time.perf_counter() - t0
    torch.autograd.backward = real_backward
    if ns.final and "logits" in probe:
        evals["end"] = evaluate()

    print(f"\n== {script.name} {' '.join(args)}: {len(steps)} optimizer steps "
          f"{'(stopped)' if stopped else '(script ended)'}, {wall:.1f} s, policy={probe.get('kind')}"
          f" {probe.get('env_id', '')} {probe.get('module', '')}")  # fmt: skip
    e0, p0, a0 = probe.get("start", (float("nan"),) * 3)
    acc0 = f", greedy acc {a0:.3f}" if probe.get("kind") == "bandit" else ""
    print(f"  before step 1: entropy {e0:.3f}, pmax {p0:.3f}{acc0}   eval {fmt_eval(evals.get(0, {}))}")
    print("  steps  loss start/max/min/end   grad norm range   median ratio range (at step)   "
          "max-tensor ratio at step"
          "   weight-matrix median ratio range (at step)   entropy at (min)  pmax   eval")  # fmt: skip
    for m in ns.marks:
        part = steps[:m]
        if len(part) < m:
            continue
        L = [r["loss"] for r in part]
        G = [r["grad"] for r in part]
        R = [r["ratio"] for r in part]
        W = [r["wratio"] for r in part]
        line = (f"  {m:<5}  {L[0]:.3g}/{max(L):.3g}/{min(L):.3g}/{L[-1]:.3g}   {min(G):.3g}..{max(G):.3g}   "
                f"{min(R):.2g}..{max(R):.2g} ({R[-1]:.2g})   {part[-1]['ratio_max']:.2g}   "
                f"W {min(W):.2g}..{max(W):.2g} ({W[-1]:.2g})   "
                f"{part[-1]['entropy']:.3f} ({min(r['entropy'] for r in part):.3f})  "
                f"{part[-1]['pmax']:.3f}")  # fmt: skip
        if probe.get("kind") == "bandit":
            line += f"  acc {part[-1]['acc']:.3f}"
        line += "   " + fmt_eval(evals.get(m, {}))
        print(line)
    if "end" in evals:
        print(f"  end ({len(steps)} steps): entropy {steps[-1]['entropy']:.3f}  eval {fmt_eval(evals['end'])}")
    if steps:
        print("  per-tensor ratio, steps 1..5 and at 10/20/30/40:")
        for nm in steps[0]["per"]:
            vals = [s["per"].get(nm, float("nan")) for s in steps]
            sel = vals[:5] + [vals[i - 1] for i in (10, 20, 30, 40) if i <= len(vals)]
            print(f"    {nm:45s} " + " ".join(f"{v:.2g}" for v in sel))
    if ns.per_step:
        print("  loss:    " + " ".join(f"{r['loss']:.3g}" for r in steps))
        print("  ratio:   " + " ".join(f"{r['ratio']:.2g}" for r in steps))
        print("  wratio:  " + " ".join(f"{r['wratio']:.2g}" for r in steps))
        print("  grad:    " + " ".join(f"{r['grad']:.2g}" for r in steps))
        print("  pmax:    " + " ".join(f"{r['pmax']:.3f}" for r in steps))
        print("  entropy: " + " ".join(f"{r['entropy']:.3f}" for r in steps))
        if probe.get("kind") == "bandit":
            print("  acc:     " + " ".join(f"{r['acc']:.2f}" for r in steps))


def fmt_eval(e: dict) -> str:
    if not e:
        return ""
    if "greedy_acc" in e:
        return f"greedy acc {e['greedy_acc']:.3f}"
    return "  ".join(f"{k} {v[0]:.1f} [{v[1]:.0f},{v[2]:.0f}]" for k, v in e.items())


if __name__ == "__main__":
    main()
