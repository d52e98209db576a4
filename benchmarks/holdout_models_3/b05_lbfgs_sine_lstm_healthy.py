"""pytorch/examples time-sequence-prediction: two LSTMCells trained with LBFGS(lr=0.8) in float64 -- healthy.

Model: real public code, `Sequence` (LSTMCell(1, 51) -> LSTMCell(51, 51) -> Linear(51, 1)) imported
at run time from pytorch/examples time_sequence_prediction/train.py (its training code sits under
`if __name__ == "__main__":`, so importing the file only defines the class), made float64 with
`.double()` as the example does. Data: the example's generator (generate_sine_wave.py: sin(x / 20)
with random integer shifts, numpy seed 2), shortened to 8 series of 51 samples so a run is fast;
one full batch, input = x[:, :-1], target = x[:, 1:], default MSE loss. Optimizer: the example's
LBFGS(lr=0.8), with max_iter=3 instead of the default 20 (speed) and a strong-Wolfe line search
(without it this shortened run is fragile: with max_iter=3 an internal overshoot shows up as a loss
of 1.36 at step 3; with the line search every iteration has to decrease the loss).

Why "healthy": the loss falls monotonically at every step, 0.536 -> 0.511 -> 0.359 -> 0.084 -> ... ->
0.0046 by step 9 and 2.2e-4 by step 39, no spike, no NaN. Updates are big early on (it is a quasi-Newton
method: update ratio up to 1.85 for the output Linear on one early step) and shrink smoothly; the
gradient norm goes up 9x once (0.19 -> 1.68 at step 2, while the loss drops) and then shrinks with
the loss by three orders of magnitude, as it should near a minimum.

Plain loop: `python benchmarks/holdout_models_3/b05_lbfgs_sine_lstm_healthy.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end           grad norm       update ratio, median layer  (all layers)
     10  0.536 / 0.536 (step 0) / 0.00458 / 0.00458    0.0215..1.68    0.00391..0.124              (0.00304..1.85)
     20  0.536 / 0.536 (step 0) / 0.00161 / 0.00161    0.00717..1.68   0.00296..0.124              (0.00214..1.85)
     30  0.536 / 0.536 (step 0) / 0.000567 / 0.000567  0.00226..1.68   0.00296..0.124              (0.00214..1.85)
     40  0.536 / 0.536 (step 0) / 0.000223 / 0.000223  0.000975..1.68  0.00296..0.124              (0.00214..1.85)
"""

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import load_module

_ts = load_module("pytorch/examples", "time_sequence_prediction/train.py")

# generate_sine_wave.py with N=8 series of L=51 samples instead of 100 x 1000
_T, _L, _N = 20, 51, 8
_rs = np.random.RandomState(2)
_x = np.empty((_N, _L), "int64")
_x[:] = np.arange(_L) + _rs.randint(-4 * _T, 4 * _T, _N).reshape(_N, 1)
_wave = torch.from_numpy(np.sin(_x / 1.0 / _T).astype("float64"))
data = [(_wave[:, :-1], _wave[:, 1:])]

torch.manual_seed(0)
model = _ts.Sequence().double()


def optimizer(params):
    return torch.optim.LBFGS(params, lr=0.8, max_iter=3, line_search_fn="strong_wolfe")


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
