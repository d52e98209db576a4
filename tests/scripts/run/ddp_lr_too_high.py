"""A DDP script with a learning rate 100x too high, for `torchrun -m gradscope run`: its verdict
is a finding, so rank 0 exits 1, and torchrun must not stop rank 0 before it has reported."""

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

torch.set_num_threads(1)
dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
model = DistributedDataParallel(nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10)))
opt = torch.optim.SGD(model.parameters(), lr=20.0)
g = torch.Generator().manual_seed(1)
x, y = torch.randn(512, 20, generator=g), torch.randint(0, 10, (512,), generator=g)
for i in range(40):
    rows = slice(32 * (i % 16) + 16 * rank, 32 * (i % 16) + 16 * rank + 16)
    opt.zero_grad()
    nn.functional.cross_entropy(model(x[rows]), y[rows]).backward()
    opt.step()
dist.destroy_process_group()
