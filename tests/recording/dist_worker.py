"""One rank of the two-process gloo job that tests/test_distributed.py starts.

Run as `python tests/dist_worker.py OUT_DIR` with RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT set. It trains the tiny model of `tiny()` under DDP, FSDP2 and HSDP,
each inside `gradscope.watch`, on its half of the batches of `batches()`, and writes
what rank 0 and rank 1 saw to OUT_DIR/rank{R}.json.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, WIDTH, STEPS = 11, 8, 4


class Tiny(nn.Module):
    """Linear, LayerNorm, Embedding and an output head tied to the embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, WIDTH)
        self.block = nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.Tanh(), nn.Linear(2 * WIDTH, WIDTH))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.norm(self.block(self.emb(x))))


def tiny() -> Tiny:
    torch.manual_seed(0)
    return Tiny()


def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The whole job's batches: 8 sequences of 6 tokens; rank r trains on rows 4r..4r+3."""
    g = torch.Generator().manual_seed(1)
    return [
        (torch.randint(0, VOCAB, (8, 6), generator=g), torch.randint(0, VOCAB, (8, 6), generator=g))
        for _ in range(STEPS)
    ]


def loss_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))


def train(
    model: nn.Module,
    rows: slice,
    poison: Callable[[nn.Module, int], None] | None = None,
    save: Path | None = None,
    across: bool = True,
    late: bool = False,
) -> dict[str, Any]:
    """STEPS AdamW steps inside gradscope.watch; the report's figures, as plain data. `late`:
    each loss handed over after its step, as the framework callbacks do."""
    import gradscope

    opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    with gradscope.watch(model, opt, distributed=across) as w:
        for step, (x, y) in enumerate(batches()):
            opt.zero_grad()
            loss = loss_of(model, x[rows], y[rows])
            loss.backward()
            if poison is not None:
                poison(model, step)
            if not late:
                w.loss(loss)
            opt.step()
            if late:
                w.loss(loss)
    if save is not None:
        w.save(save)
    return summary(w)


def summary(w: Any) -> dict[str, Any]:
    report = w.report()
    steps = report.record.steps
    return {
        "layers": [[layer.name, layer.kind] for layer in report.record.layers],
        "grad": [list(r.grad_norm) for r in steps],
        "weight": [list(r.weight_norm) for r in steps],
        "update": [list(r.update_norm) for r in steps],
        "zero": [list(r.zero_grad_frac) for r in steps],
        "nonfinite": [sum(r.nonfinite_grad) + sum(r.nonfinite_weight) for r in steps],
        "loss": [r.loss for r in steps],
        "verdict": str(report.verdict),
        "main": w.main,
    }


def counted(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """run() with every torch.distributed.all_reduce counted (gradscope looks it up per call)."""
    import torch.distributed as dist

    real = dist.all_reduce
    calls = [0]

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    dist.all_reduce = counting  # type: ignore[assignment]
    try:
        out = run()
    finally:
        dist.all_reduce = real
    out["all_reduce"] = calls[0]
    return out


def main() -> None:
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    rows = slice(4 * rank, 4 * rank + 4)
    results: dict[str, Any] = {}
    from gradscope.probe.distributed import Ranks

    # The reduction on its own: rank r sends [r + 1, 10 (r + 1)], the last entry a mean.
    mine = [float(rank + 1), 10.0 * (rank + 1)]
    results["sum"] = [
        Ranks(group=None, size=2, replicas=replicas, shard_rank=rank)
        .sum(torch.tensor(mine, dtype=torch.float64), means=1)
        .tolist()
        for replicas in (1, 2)
    ]

    results["ddp"] = counted(lambda: train(DistributedDataParallel(tiny()), rows, save=out / f"ddp{rank}.json"))

    def accumulated() -> dict[str, Any]:
        """Two micro-batches per step, the first inside no_sync(); then one step taken inside
        no_sync() on this rank's gradients alone, which is not a step of the job."""
        import gradscope

        model = DistributedDataParallel(tiny())
        opt = torch.optim.AdamW(model.parameters(), lr=0.05)
        with gradscope.watch(model, opt) as w:
            for x, y in batches():
                opt.zero_grad()
                for half in (slice(rows.start, rows.start + 2), slice(rows.start + 2, rows.stop)):
                    context = model.no_sync() if half.start == rows.start else nullcontext()
                    with context:
                        loss = loss_of(model, x[half], y[half])
                        (loss / 2).backward()
                    w.loss(loss)
                opt.step()
            x, y = batches()[0]
            with model.no_sync():
                opt.zero_grad()
                loss_of(model, x[rows], y[rows]).backward()
                w.loss(0.0)
                opt.step()
        return summary(w)

    results["accumulated"] = counted(accumulated)
    # This rank's losses differ from the other's; the report's must be the job's (their mean).
    results["ddp late"] = counted(lambda: train(DistributedDataParallel(tiny()), rows, late=True))

    def sharded(mesh: Any = None) -> nn.Module:
        model = tiny()
        fully_shard(model.block, mesh=mesh)
        fully_shard(model.norm, mesh=mesh)
        fully_shard(model, mesh=mesh)
        return model

    results["fsdp"] = counted(lambda: train(sharded(), rows))
    results["fsdp alone"] = counted(lambda: train(sharded(), rows, across=False))
    # HSDP on two ranks: two replicas of a shard group of one.
    hsdp = init_device_mesh("cpu", (2, 1), mesh_dim_names=("replicate", "shard"))
    results["hsdp"] = train(sharded(hsdp), rows)

    def nan_on_rank_1(model: nn.Module, step: int) -> None:
        # Into rank 1's own shard of one gradient only, after FSDP's reduce-scatter: no
        # collective of the training carries it to rank 0, only gradscope's can.
        if rank == 1 and step == 2:
            grad = model.block[0].weight.grad
            with torch.no_grad():
                grad.to_local().view(-1)[0] = math.nan

    results["nan"] = train(sharded(), rows, poison=nan_on_rank_1)
    (out / f"rank{rank}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
