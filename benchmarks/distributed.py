"""Step-time overhead of gradscope.watch in a torch.distributed job: two gloo processes on CPU.

For DDP and for FSDP2 (`fully_shard` on each encoder layer and the root), blocks of
training steps run without watch and with watch (every step), in alternation, on both
ranks at once; the ratio is the median over rounds of rank 0's block time with watch
over the block time without in the same round (the middle half of those ratios is
printed beside it). For comparison, the same model and per-rank batch in one process
(no torch.distributed) gives single-process watch's ratio, and the time of the one
all_reduce a recorded step adds (its payload: 5 float64 per layer and the loss) is
measured on its own.
Run: python benchmarks/distributed.py [--rounds N] [--steps N] [--model transformer|mlp]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.multiprocessing as mp
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent))
from overhead import TinyLM, run_block, wide_mlp

import gradscope

Batch = tuple[torch.Tensor, torch.Tensor]


def model_and_data(name: str, steps: int) -> tuple[nn.Module, list[Batch], Callable[..., torch.Tensor]]:
    """The model (same initial weights on every rank) and one rank's batches."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1 + int(os.environ.get("RANK", "0")))
    if name == "mlp":
        mlp = wide_mlp()
        data = [(torch.randn(64, 512, generator=g), torch.randint(0, 10, (64,), generator=g)) for _ in range(steps)]
        return mlp, data, F.cross_entropy
    lm = TinyLM()
    data = [
        (torch.randint(0, 2000, (8, 64), generator=g), torch.randint(0, 2000, (8, 64), generator=g))
        for _ in range(steps)
    ]

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    return lm, data, loss


def ratios(
    model: nn.Module, data: list[Batch], loss_fn: Callable[..., torch.Tensor], rounds: int
) -> tuple[float, float, float, float]:
    """(median ratio, first quartile, third quartile, step ms without watch) over alternating rounds."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    w = gradscope.watch(model, opt)
    run_block(model, opt, data, loss_fn, None)  # warm-up
    run_block(model, opt, data, loss_fn, w)
    off, on = [], []
    for r in range(rounds):
        if r % 2:
            on.append(run_block(model, opt, data, loss_fn, w))
            off.append(run_block(model, opt, data, loss_fn, None))
        else:
            off.append(run_block(model, opt, data, loss_fn, None))
            on.append(run_block(model, opt, data, loss_fn, w))
    pairs = [a / b for a, b in zip(on, off, strict=True)]
    q = statistics.quantiles(pairs, n=4)
    return statistics.median(pairs), q[0], q[2], 1000 * statistics.median(off)


def worker(rank: int, port: int, args: argparse.Namespace, out: Any) -> None:
    import torch.distributed as dist
    from torch.distributed.fsdp import fully_shard
    from torch.nn.parallel import DistributedDataParallel

    # FSDP2 warns that the root returns a view; the benchmark does nothing in place with it.
    warnings.filterwarnings("ignore", message="FSDP2-wrapped module")
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    model, data, loss_fn = model_and_data(args.model, args.steps)
    layers = len(gradscope.watch(model, torch.optim.SGD(model.parameters(), lr=0.0)).probe.layout.layers)
    results: dict[str, Any] = {}
    results["DDP"] = ratios(DistributedDataParallel(model), data, loss_fn, args.rounds)
    model, data, loss_fn = model_and_data(args.model, args.steps)
    # Units bottom-up, then the root: the encoder layers, or the MLP's Linears.
    units = [m for m in model.modules() if isinstance(m, nn.TransformerEncoderLayer)]
    for unit in units or [m for m in model.children() if isinstance(m, nn.Linear)]:
        fully_shard(unit)
    fully_shard(model)
    results["FSDP2"] = ratios(model, data, loss_fn, args.rounds)
    # The collective a recorded step adds, alone: 5 float64 per layer and the loss.
    payload = torch.zeros(5 * layers + 1, dtype=torch.float64)
    dist.barrier()
    started = time.perf_counter()
    for _ in range(200):
        dist.all_reduce(payload)
    results["all_reduce ms"] = 1000 * (time.perf_counter() - started) / 200
    if rank == 0:
        out.put(results)
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=12, help="alternating rounds per job")
    parser.add_argument("--steps", type=int, default=4, help="training steps per block")
    parser.add_argument("--model", default="transformer", choices=["transformer", "mlp"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    mp.spawn(worker, args=(port, args, queue), nprocs=2, join=True)
    results = queue.get()
    model, data, loss_fn = model_and_data(args.model, args.steps)
    single = ratios(model, data, loss_fn, args.rounds)
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, {args.model} ({params:,} params), 1 thread per process, gloo on CPU")
    rows = data[0][0].shape[0]
    print(f"{args.rounds} alternating rounds x {args.steps} steps, AdamW, {rows} rows per process per step")
    print(f"{'job':16} {'off ms':>8} {'watch ratio':>12} {'middle half':>13}")
    for name, (ratio, q1, q3, off) in [("one process", single), ("DDP, 2 ranks", results["DDP"]),
                                        ("FSDP2, 2 ranks", results["FSDP2"])]:  # fmt: skip
        print(f"{name:16} {off:8.1f} {ratio:11.3f}x {q1:6.3f}-{q3:.3f}")
    print(f"the step's one all_reduce alone: {results['all_reduce ms']:.3f} ms")


if __name__ == "__main__":
    main()
