"""The stochastic-block-model graphs and GAT shared by c05, c08 and c09.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from torch_geometric.nn.models import GAT
from torch_geometric.utils import stochastic_blockmodel_graph

N_CLASSES, PER_CLASS, FEATS, N_GRAPHS = 4, 30, 16, 8


def sbm_graphs() -> list[tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]]:
    # stochastic block model graphs: a node's class is its community; its features are the
    # community's fixed centroid plus heavy noise, so neighbours' features help (homophily 0.3 vs 0.02)
    g = torch.Generator().manual_seed(0)
    centroids = torch.randn(N_CLASSES, FEATS, generator=g)
    probs = torch.full((N_CLASSES, N_CLASSES), 0.02) + 0.28 * torch.eye(N_CLASSES)
    out = []
    for i in range(N_GRAPHS):
        torch.manual_seed(100 + i)  # stochastic_blockmodel_graph draws from the global generator
        edge_index = stochastic_blockmodel_graph([PER_CLASS] * N_CLASSES, probs)
        y = torch.arange(N_CLASSES).repeat_interleave(PER_CLASS)
        x = centroids[y] + 2.0 * torch.randn(len(y), FEATS, generator=g)
        out.append(((x, edge_index), y))
    return out


def gat() -> GAT:
    """The GAT (in 16, hidden 16, 2 layers, out 4, 4 heads, no dropout); seed torch first."""
    return GAT(in_channels=FEATS, hidden_channels=16, num_layers=2, out_channels=N_CLASSES, heads=4, dropout=0.0)
