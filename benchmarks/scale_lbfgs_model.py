"""pytorch/examples time_sequence_prediction at its own size, as a gradscope model script.

For benchmarks/scale.py: the example's `Sequence` model (two LSTMCell(51) and a Linear, imported
at run time from a fetched pytorch/examples checkout, see benchmarks/external.py) in float64,
trained as the example trains it: LBFGS(lr=0.8) with its default max_iter=20, so every step runs
up to 20 closure evaluations, each a forward and backward through 999 time steps of 97 sine
waves (the example's generate_sine_wave.py: T=20, L=1000, N=100, numpy seed 2; its first 3
series are the test set).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from external import load_module

_example = load_module("pytorch/examples", "time_sequence_prediction/train.py")

_T, _L, _N = 20, 1000, 100
_rs = np.random.RandomState(2)
_x = np.empty((_N, _L), "int64")
_x[:] = np.arange(_L) + _rs.randint(-4 * _T, 4 * _T, _N).reshape(_N, 1)
_wave = torch.from_numpy(np.sin(_x / 1.0 / _T).astype("float64"))
data = [(_wave[3:, :-1], _wave[3:, 1:])]

torch.manual_seed(0)
model = _example.Sequence().double()


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.LBFGS(params, lr=0.8)
