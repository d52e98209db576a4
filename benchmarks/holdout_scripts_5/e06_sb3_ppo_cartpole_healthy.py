"""stable-baselines3 PPO on gymnasium CartPole-v1 at the default learning rate -- healthy.

stable-baselines3 PPO("MlpPolicy") on gymnasium CartPole-v1, learning_rate=3e-4 (SB3's default), n_steps=256,
batch_size=64, n_epochs=10 (40 Adam steps per rollout), total_timesteps=512 (2 rollouts, 80 steps), seed 0.
PPO clips the gradient norm at 0.5 (max_grad_norm default). ~4 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e06_sb3_ppo_cartpole_healthy.py
With --probe-policy the runner also measures the policy on 256 fixed CartPole-range observations: mean action
entropy (max ln 2 = 0.693) and mean largest action probability.
  steps  loss start / max (step) / min / end   grad norm (clipped)   weight / bias ratio at step   entropy, pmax
  10     43.2 / 52.8 (8) / 40.3 / 44.5         0.5                   0.0012 / 0.084               0.692, 0.52
  20     43.2 / 52.8 (8) / 33.8 / 33.8         0.5                   0.0013 / 0.054               0.691, 0.53
  30     43.2 / 52.8 (8) / 33.8 / 46.3         0.5                   0.0013 / 0.024               0.688, 0.55
  40     43.2 / 52.8 (8) / 33.8 / 39.3         0.5                   0.0014 / 0.027               0.682, 0.56
(the bias tensors start at 0, hence their large relative change.)

Why "healthy": PPO's loss is dominated by the value term (0.5 x MSE to returns ~10-40), whose targets come from
the rollout, so it does not descend like a supervised loss: within the first rollout it wanders 34-53 without a
trend, and it rises to ~65 in rollout 2 because episodes get longer. The policy improves as PPO intends: the
entropy falls slowly (0.693 -> 0.682 at step 40, 0.646 at step 80), and separately measured (same settings,
evaluate_policy, 10 episodes) the mean episode return goes 22 (random) -> 27 after 512 timesteps -> 37 after
2048 (deterministic policy 64-139). The weights move ~0.13% per step: Adam at 3e-4 on orthogonally initialised
64-wide layers, the usual PPO pace. Contrast: e07 (lr 0.1) collapses the policy within 10 steps.
"""

import argparse

import gymnasium as gym
from stable_baselines3 import PPO

EXPECTED = {"verdict": "healthy", "others": ["healthy"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--timesteps", type=int, default=512)
    args = parser.parse_args()

    env = gym.make("CartPole-v1")
    model = PPO("MlpPolicy", env, learning_rate=args.lr, n_steps=256, batch_size=64, n_epochs=10, seed=0,
                device="cpu", verbose=0)  # fmt: skip
    model.learn(total_timesteps=args.timesteps)
    env.close()


if __name__ == "__main__":
    main()
