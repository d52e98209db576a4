"""stable-baselines3 PPO MlpPolicy network (tanh) behaviour-cloned with Adam lr=0.5 -- unstable.

Model: sb3 ActorCriticPolicy for an 8-d Box observation and Discrete(4) actions: PPO's default MlpPolicy
(separate pi and vf MLPs 8-64-64 with Tanh, orthogonal init, action head gain 0.01), 9,797 params. Data:
8 fixed batches of 64 observations; expert action = argmax of a fixed linear score, return = a fixed linear
function + noise. compute_loss: -log pi(expert action) + 0.5 x value MSE. Optimizer: Adam(lr=0.5, eps=1e-5).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d15_sb3_ppo_policy_bc_adam_lr_high_unstable.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.06 / 490 (2) / 2.06 / 18.2          2.33..222         0.098..3
  20     2.06 / 490 (2) / 2.06 / 7.33          2.33..222         0.046..3
  30     2.06 / 490 (2) / 2.06 / 5.99          2.33..222         0.03..3
  40     2.06 / 490 (2) / 2.06 / 4.53          2.33..222         0.026..3

Why "unstable": the first Adam steps move each weight by ~0.5 (update ratios up to 3 per step), the tanh
units saturate (in a side check, 90% of the policy's second tanh layer had |h| > 0.99 at step 5, 95-97% from
step 10 on) and the loss jumps from 2.06 to 490 at step 2, then swings down slowly (58.7, 74.1, 45.9, 18, 7.3,
13.8, 4.5) and never gets back under its start; gradients stay finite (2.3-222). Control: lr=3e-3 (d16)
falls 2.06 -> 0.29; lr=0.1 already swings (5.0 at step 3) but recovers to 0.21.
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
    return torch.optim.Adam(params, lr=0.5, eps=1e-5)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
