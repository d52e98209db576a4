"""A training script that times its own steps, for the `gradscope run` part of overhead.py.

    python benchmarks/overhead_script.py --case "wide MLP" --steps 12 --out times.json [--watch]

It trains one of overhead.py's models with Adam and writes the seconds of each step
(zero_grad, forward, backward, step) to --out. With --watch the loop is inside
gradscope.watch, as a user would write it; without, it knows nothing of gradscope, which
is how `gradscope run` takes it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

import torch
from overhead import Case, cases  # this folder is sys.path[0] when the script runs
from torch import nn
from torch.nn import functional as F

import gradscope

# A step so small that what is measured is the hooks' own cost per step, not the model's.
TINY = Case(
    "tiny Linear (hook cost)",
    lambda: nn.Linear(8, 2),
    lambda: (torch.randn(16, 8), torch.randn(16, 2)),
    F.mse_loss,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True, help="a model name of overhead.py, or part of it")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--out", required=True)
    parser.add_argument("--watch", action="store_true")
    args = parser.parse_args()
    case = next(c for c in [*cases(), TINY] if args.case.lower() in c.name.lower())
    torch.manual_seed(0)
    model = case.build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    batches = [case.batch() for _ in range(args.steps)]
    times = []
    watch = gradscope.watch(model, opt) if args.watch else None
    with watch if watch is not None else contextlib.nullcontext():
        for x, y in batches:
            started = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = case.loss(model(x), y)
            loss.backward()
            if watch is not None:
                watch.loss(loss)
            opt.step()
            times.append(time.perf_counter() - started)
    Path(args.out).write_text(json.dumps(times))


if __name__ == "__main__":
    main()
