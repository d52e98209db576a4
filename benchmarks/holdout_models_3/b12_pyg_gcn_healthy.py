"""PyTorch Geometric's GCN on a stochastic-block-model graph at Kipf's Adam settings -- healthy.

Model: real public code, `torch_geometric.nn.models.GCN(in_channels=16, hidden_channels=32,
num_layers=2, out_channels=4)` (two GCNConv layers, ReLU, no dropout); each GCNConv owns its bias,
its `.lin` owns the weight. Data: a 400-node graph from
`torch_geometric.utils.stochastic_blockmodel_graph` (4 blocks of 100 nodes, p_in 0.05, p_out 0.005,
seeded), node features N(0, 1) plus a faint 0.3 class indicator, full-graph node classification;
the batch is ((x, edge_index), y), so the model is called as model(x, edge_index), default
cross-entropy. Optimizer: Adam(lr=0.01, weight_decay=5e-4), the GCN paper's settings.

Why "healthy": the loss falls smoothly and monotonically from 1.40 (ln 4 = 1.39) to 1.18 by step 9
and 0.67 by step 39, gradient norm steady (0.06-0.2), update ratios ~2e-2..7e-2 per step (Adam at
lr 0.01 on a small model; the zero-initialised biases have no meaningful ratio on step 0). Nothing
to fix.

Plain loop: `python benchmarks/holdout_models_3/b12_pyg_gcn_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm     update ratio, median layer  (all layers)
     10  1.4 / 1.4 (step 0) / 1.18 / 1.18      0.136..0.197  0.0484..0.89                (0.0307..0.893)
     20  1.4 / 1.4 (step 0) / 0.945 / 0.945    0.133..0.197  0.0484..0.89                (0.0269..0.893)
     30  1.4 / 1.4 (step 0) / 0.765 / 0.765    0.087..0.197  0.0251..0.89                (0.0207..0.893)
     40  1.4 / 1.4 (step 0) / 0.665 / 0.665    0.061..0.197  0.0183..0.89                (0.0114..0.893)
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch_geometric.nn.models import GCN
from torch_geometric.utils import stochastic_blockmodel_graph

_C, _N = 4, 100
torch.manual_seed(0)
_edge_index = stochastic_blockmodel_graph(
    [_N] * _C, torch.tensor([[0.05 if i == j else 0.005 for j in range(_C)] for i in range(_C)])
)
_y = torch.arange(_C).repeat_interleave(_N)
_g = torch.Generator().manual_seed(0)
_x = torch.randn(_C * _N, 16, generator=_g) + 0.3 * F.one_hot(_y, 16).float()
data = [((_x, _edge_index), _y)]

torch.manual_seed(0)
model = GCN(in_channels=16, hidden_channels=32, num_layers=2, out_channels=_C)


def optimizer(params):
    return torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
