"""stable-baselines3 PPO on gymnasium CartPole-v1 with a learning rate far too high -- unstable.

The e06 PPO script with learning_rate=0.1. ~4 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e07_sb3_ppo_cartpole_lr_high_unstable.py
  steps  loss start / max (step) / min / end   grad norm (clipped)   weight / bias ratio at step   entropy, pmax
  10     43.2 / 43.2 (0) / 8.54 / 9.26         0.5                   0.080 / 0.077                0.018, 0.99
  20     43.2 / 43.2 (0) / 6.24 / 6.88         0.5                   0.042 / 0.030                0.012, 1.00
  30     43.2 / 43.2 (0) / 5.41 / 7.71         0.5                   0.023 / 0.016                0.042, 0.98
  40     43.2 / 43.2 (0) / 5.35 / 5.96         0.5                   0.016 / 0.0079               0.013, 0.99
Update ratio (median over tensors) in steps 1-5: 0.53, 0.61, 0.31, 0.22, 0.18.

Why "unstable" (rate far too high): the first updates move the weights by 30-60% of their norm per step and the
policy saturates: action entropy 0.693 -> 0.38 after 1 step, 0.025 after 9, 0.001 by step 80 (one action with
probability >0.99 everywhere). Measured separately (evaluate_policy, 10 episodes) the policy returns 9.5, the
worst CartPole score (always push the same way), after 256, 512 and 2048 timesteps, against 22 for the random
start and 27-37 for the default rate (e06). Also at lr 0.5. CAVEAT: the PPO loss itself does not diverge: it
falls 43 -> 6-9 within ten steps because the value net fits the current rollout fast and the episodes get shorter
(smaller returns); the evidence for "too high" is the weight-update size and the saturated policy, not a rising
loss. Control: e06 (lr 3e-4) keeps entropy 0.68-0.69 over 40 steps with weight ratios ~0.13%/step.
"""

import argparse

import gymnasium as gym
from stable_baselines3 import PPO

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--timesteps", type=int, default=512)
    args = parser.parse_args()

    env = gym.make("CartPole-v1")
    model = PPO("MlpPolicy", env, learning_rate=args.lr, n_steps=256, batch_size=64, n_epochs=10, seed=0,
                device="cpu", verbose=0)  # fmt: skip
    model.learn(total_timesteps=args.timesteps)
    env.close()


if __name__ == "__main__":
    main()
