"""Optimizer wrappers for the f-series hold-outs (not a model script, no EXPECTED)."""

import math
import types

import torch


def cosine_factor(step: int, total: int, warmup: int = 0, floor: float = 0.0) -> float:
    """The usual warm-up + cosine decay multiplier: linear 0 -> 1 over `warmup`, then cosine 1 -> `floor` at `total`."""
    if step < warmup:
        return step / max(1, warmup)
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))


def cosine_tail(opt: torch.optim.Optimizer, start: int, total: int, warmup: int = 0) -> torch.optim.Optimizer:
    """Attach a cosine LambdaLR to `opt`, positioned at step `start` of `total`, stepped after every opt.step()
    (a run resumed near the end of its schedule; the contract's optimizer(params) returns only an optimizer).
    The schedule is exposed as `opt.schedule` (its base_lrs are the peak rates)."""
    inner = opt.step
    holder = {}

    def step(_self, closure=None):
        loss = inner(closure)
        holder["schedule"].step()
        return loss

    opt.step = types.MethodType(step, opt)  # before the scheduler exists, so the scheduler wraps this step
    holder["schedule"] = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: cosine_factor(start + i, total, warmup))
    opt.schedule = holder["schedule"]
    return opt
