"""stable-baselines3 PPO MlpPolicy network behaviour-cloned with Adam lr=3e-3 -- healthy.

Model and data as d15 (sb3 ActorCriticPolicy, Tanh MLPs, BC + value loss). Optimizer: Adam(lr=3e-3,
eps=1e-5).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d16_sb3_ppo_policy_bc_adam_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.06 / 2.06 (0) / 1.07 / 1.07         0.979..2.35       0.013..0.018
  20     2.06 / 2.06 (0) / 0.614 / 0.614       0.803..2.35       0.012..0.018
  30     2.06 / 2.06 (0) / 0.377 / 0.383       0.473..2.35       0.0094..0.018
  40     2.06 / 2.06 (0) / 0.247 / 0.287       0.393..2.35       0.0062..0.018

Why "healthy": the loss falls steadily 2.06 -> 1.07 (10) -> 0.61 (20) -> 0.38 (30) -> 0.29 (40); grad norm
2.35 falling to 0.4; the median layer moves 0.6-1.8% per step; tanh units stay unsaturated (at most 4% |h| > 0.99).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rl import bc_batches, bc_loss, ppo_policy

data = bc_batches()

torch.manual_seed(0)
model = ppo_policy()


def compute_loss(model, batch):
    return bc_loss(model, batch)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3, eps=1e-5)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
