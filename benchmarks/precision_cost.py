"""What the lost-update count costs on a bfloat16 model, and that float32 pays nothing for it.

For a bf16 MLP (4 x 1024 wide, ~3.2M params) and the same MLP in float32, short blocks of
training steps run in rotation: without watch, with watch at every step, and (bf16 only) with
watch whose lost-update count is switched off (its Measure told it has no low-precision
group), so the count's own share is the difference of the last two. Ratios are medians over
rounds of block time / block time without watch in the same round.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/precision_cost.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import gradscope


def model(dtype: torch.dtype) -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(3):
        layers += [nn.Linear(1024, 1024), nn.LayerNorm(1024), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(1024, 10)).to(dtype)


def block(net: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x).float(), y).backward()
        opt.step()
    return time.perf_counter() - start


def measure(dtype: torch.dtype, rounds: int, steps: int) -> dict[str, float]:
    net = model(dtype)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-5)
    x, y = torch.randn(64, 1024, dtype=dtype), torch.randint(0, 10, (64,))
    on = gradscope.watch(net, opt)
    off_count = gradscope.watch(net, opt)
    off_count.probe.measure.low = []  # the count switched off: the rest of watch as it is
    block(net, opt, x, y, steps)  # warm-up
    ratios: dict[str, list[float]] = {"watch": [], "watch without the count": []}
    for _ in range(rounds):
        base = block(net, opt, x, y, steps)
        with on:
            t_on = block(net, opt, x, y, steps)
        ratios["watch"].append(t_on / base)
        if dtype != torch.float32:
            with off_count:
                t_off = block(net, opt, x, y, steps)
            ratios["watch without the count"].append(t_off / base)
    return {k: statistics.median(v) for k, v in ratios.items() if v}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    for dtype in (torch.float32, torch.bfloat16):
        figures = measure(dtype, args.rounds, args.steps)
        print(str(dtype).replace("torch.", ""), " ".join(f"{k}: {v:.3f}x" for k, v in figures.items()))


if __name__ == "__main__":
    main()
