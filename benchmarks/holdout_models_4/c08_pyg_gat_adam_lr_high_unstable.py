"""GAT on stochastic-block-model graphs with Adam at lr=0.3 -- unstable (lr too high).

Same model and data as c05 (torch_geometric `GAT`, 2 layers, 4 heads, 596 params; 8 SBM graphs of 120
nodes), but Adam(lr=0.3, weight_decay=5e-4): a lr 60x the usual 5e-3 (e.g. a 3e-1 typed for 3e-3).
The pair c08/c09 is one lr-too-high problem under Adam and under SGD+momentum.

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c08_pyg_gat_adam_lr_high_unstable.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.56 / 7.27 (2) / 1.44 / 1.85         0.955..18.5       0.0928..1.16
  20     1.56 / 7.27 (2) / 0.994 / 1.31        0.955..26.0       0.0468..1.16
  30     1.56 / 7.27 (2) / 0.994 / 1.28        0.612..26.0       0.0307..1.16
  40     1.56 / 7.27 (2) / 0.792 / 1.67        0.612..26.0       0.0257..1.16

Why "unstable": the first Adam steps move every weight by ~lr = 0.3 (update ratios up to 1.16 -- weights
more than replaced in one step), so the loss jumps from 1.56 to 5.32 and 7.27 in steps 1-2 and then swings
for the whole run (e.g. 0.99 -> 2.13 -> 1.16 -> 2.79; 0.79 -> 1.51 -> 1.67 at the end), ending above its
start at 10 and 40 steps; gradients stay finite (max 26). Fix measured: lr=5e-3 (c05) gives a steady fall
1.56 -> 0.54 with grad norm 0.5-1.1.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gat import gat, sbm_graphs

data = sbm_graphs()

torch.manual_seed(0)
model = gat()


def optimizer(params):
    return torch.optim.Adam(params, lr=0.3, weight_decay=5e-4)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
