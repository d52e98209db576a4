"""A DDP training script as torchrun runs it (RANK, WORLD_SIZE, MASTER_ADDR/PORT set): the model
and batches of tests/recording/dist_worker.py, each rank on its half of every batch, gloo on CPU."""

import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "recording"))
import dist_worker

torch.set_num_threads(1)
dist.init_process_group("gloo")
rank = dist.get_rank()
rows = slice(4 * rank, 4 * rank + 4)
model = DistributedDataParallel(dist_worker.tiny())
opt = torch.optim.AdamW(model.parameters(), lr=0.05)
for x, y in dist_worker.batches():
    opt.zero_grad()
    loss = dist_worker.loss_of(model, x[rows], y[rows])
    loss.backward()
    opt.step()
dist.destroy_process_group()
