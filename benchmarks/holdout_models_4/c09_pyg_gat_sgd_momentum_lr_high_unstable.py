"""GAT on stochastic-block-model graphs with SGD+momentum at lr=0.5 -- unstable (lr too high).

Same model and data as c05/c08, optimizer SGD(lr=0.5, momentum=0.9, weight_decay=5e-4): 10x the lr that
works for this model with momentum (0.05). Pair of c08 (the same problem under Adam).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c09_pyg_gat_sgd_momentum_lr_high_unstable.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.56 / 7.57 (7) / 0.902 / 4.05        0.667..9.84       0.0686..0.536
  20     1.56 / 7.57 (7) / 0.902 / 2.10        0.667..9.84       0.0686..0.536
  30     1.56 / 10.4 (26) / 0.902 / 2.32       0.667..15.3       0.0664..0.536
  40     1.56 / 16.8 (38) / 0.902 / 6.96       0.667..15.3       0.0489..0.536

Why "unstable": the loss first falls (1.56 -> 0.90 at step 4) as momentum builds, then overshoots: 2.57,
7.57 at steps 6-7 and from then on swings between ~1.2 and 17, ending far above its start at every count
(4.05, 2.10, 2.32, 6.96); the gradient norm rises with the overshooting weights but stays finite (<= 15.3)
with no NaN. Fix measured: SGD(lr=0.05, momentum=0.9, same weight decay) falls steadily 1.56 -> 1.07 (step 9) -> 0.13
(step 39), grad norm 0.4-2.4; lr=0.1 also falls (to 0.04) with small wiggles.
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
    return torch.optim.SGD(params, lr=0.5, momentum=0.9, weight_decay=5e-4)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
