"""The plain-PyTorch replay of gradscope's loop shared by the stories' ``__main__`` blocks.

Not a model script (no EXPECTED): each story calls ``main(model, data, optimizer, loss_of)`` to
print the per-step table and the N=... summaries that its docstring quotes.
"""

import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


def replay(
    model: nn.Module,
    data: Sequence[Any],
    optimizer: Callable[..., torch.optim.Optimizer],
    loss_of: Callable[[Any], torch.Tensor],
    initial: dict[str, torch.Tensor],
    n_steps: int,
    table: bool,
    closure_based: bool | None = None,
) -> dict:
    """Train n_steps from `initial` the way gradscope does; return the figures.

    closure_based: whether the optimizer's step needs a closure (default: it is an LBFGS).
    """
    model.load_state_dict(initial)
    model.train()
    random.seed(0)
    torch.manual_seed(0)
    opt = optimizer(model.parameters())
    if closure_based is None:
        closure_based = isinstance(opt, torch.optim.LBFGS)
    params = [p for p in model.parameters() if p.requires_grad]
    layers = [(name, [p for p in m.parameters(recurse=False) if p.requires_grad]) for name, m in model.named_modules()]
    layers = [(name, ps) for name, ps in layers if ps]
    losses, norms, ratios, evals = [], [], [], []
    for step in range(n_steps):
        batch = data[step % len(data)]
        before = [torch.cat([p.detach().reshape(-1).double() for p in ps]) for _, ps in layers]
        seen: list[tuple[float, float]] = []

        def closure(batch=batch, seen=seen):
            model.zero_grad(set_to_none=True)
            value = loss_of(batch)
            value.backward()
            grads = [p.grad.detach().double().norm() for p in params if p.grad is not None]
            seen.append((value.item(), torch.stack(grads).norm().item() if grads else 0.0))
            return value

        if closure_based:
            opt.step(closure)
        else:
            closure()
            opt.step()
        with torch.no_grad():
            per_layer = []
            for (_, ps), old in zip(layers, before, strict=True):
                new = torch.cat([p.detach().reshape(-1).double() for p in ps])
                if old.norm() > 0:
                    per_layer.append(((new - old).norm() / old.norm()).item())
        median = sorted(per_layer)[len(per_layer) // 2] if per_layer else math.nan
        losses.append(seen[0][0])
        norms.append(seen[0][1])
        ratios.append(median)
        evals.append(len(seen))
        if table:
            extra = f"  closure evals {len(seen)}" if closure_based else ""
            print(
                f"step {step:2d}  loss {seen[0][0]:11.5g}  grad norm {seen[0][1]:10.4g}"
                f"  median update ratio {median:9.3g}{extra}"
            )
    model.load_state_dict(initial)
    return {"loss": losses, "grad": norms, "ratio": ratios, "evals": evals}


def summary(n_steps: int, r: dict) -> str:
    loss, grad, ratio = r["loss"], r["grad"], r["ratio"]
    top = max(range(n_steps), key=lambda i: loss[i])
    peak = max(range(n_steps), key=lambda i: grad[i])
    return (
        f"N={n_steps:2d}: loss start {loss[0]:.4g}  max {loss[top]:.4g} (step {top})  end {loss[-1]:.4g}"
        f"  min {min(loss):.4g}  | peak grad norm {grad[peak]:.3g} (step {peak})"
        f"  | median update ratio {min(ratio):.2g}..{max(ratio):.2g}"
    )


def main(
    model: nn.Module,
    data: Sequence[Any],
    optimizer: Callable[..., torch.optim.Optimizer],
    loss_of: Callable[[Any], torch.Tensor],
    closure_based: bool | None = None,
    argv: Sequence[str] | None = None,
) -> None:
    """Replay each step count in argv (default 10 20 30 40); print the longest one's table, then the summaries."""
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    counts = [int(a) for a in (sys.argv[1:] if argv is None else argv)] or [10, 20, 30, 40]
    runs = {}
    for n in counts:
        began, cpu = time.perf_counter(), time.process_time()
        runs[n] = replay(
            model, data, optimizer, loss_of, initial, n, table=n == max(counts), closure_based=closure_based
        )
        runs[n]["seconds"], runs[n]["cpu"] = time.perf_counter() - began, time.process_time() - cpu
    for n in counts:
        print(summary(n, runs[n]) + f"  ({runs[n]['seconds']:.1f} s, cpu {runs[n]['cpu']:.1f} s)")
