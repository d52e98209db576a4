"""stable-baselines3 PPO on gymnasium Acrobot-v1 (3 actions) at PPO's default learning rate (3e-4) -- healthy.

PPO("MlpPolicy") (SB3 defaults: Adam, clip 0.2, gradient-norm clip 0.5, ent_coef 0, 64-64 tanh policy/value MLPs,
action head at gain 0.01) on one Acrobot-v1, n_steps 512, batch 64, 10 epochs (80 Adam steps per rollout),
1024 timesteps = 160 steps, seed 0. ~4 s on one core.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the weight matrices; entropy = mean action entropy over 256
fixed Acrobot states visited by a random policy, max ln 3 = 1.099; returns = mean of 10 episodes (500-step cap,
-500 = never swung up) on a separate env copy, sampled / greedy actions):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 10 --per-step r03_sb3_ppo_acrobot_healthy.py
  step   W ratio   action_net ratio   entropy   return sampled / greedy
  0      -         -                  1.099     -500 / -500
  1      0.0017    0.22               1.099     -500 / -500
  10     0.0015    0.066              1.098     -489 / -203
  20     0.0014    0.039              1.098     -492 / -156
  30     0.0014    0.032              1.097     -491 / -134
  40     0.0014    0.025              1.096     -494 / -132
  160    -         -                  1.085     -381 / -86   (end of the script)
(The all-tensor median jumps to 0.23-0.27 at steps 2-3 only because the biases start at exactly 0.)
Loss (value-dominated) 142 -> 110 by step 40, 95 by 80.

Why "healthy": the weight matrices move ~0.15% per step (the small-init action head 2-22%, relative to its norm
~0.014), the policy stays exploratory (entropy 1.099 -> 1.096 over 40 steps) and improves: the greedy policy swings
up in ~130 steps by step 40 (-132, from -500) and the sampled one starts succeeding (-381 after 160 steps). Run
longer (--timesteps 5120, 800 steps): sampled -156, greedy -91, entropy 1.000. Seeds 1 and 2 keep entropy 1.097-1.099
over 40 steps (their returns are still -500 at 160 steps: Acrobot needs more samples). Contrast: r04 (lr 0.1)
collapses to entropy 0.000 by step 10 and -500 for good.
"""

import argparse

import gymnasium as gym
from stable_baselines3 import PPO

EXPECTED = {"verdict": "healthy"}


def main() -> None:
    parser = argparse.ArgumentParser(description="SB3 PPO on Acrobot-v1")
    parser.add_argument("--env", default="Acrobot-v1")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--n-steps", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-epochs", type=int, default=10)
    parser.add_argument("--timesteps", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = gym.make(args.env)
    model = PPO(
        "MlpPolicy",
        env,
        learning_rate=args.lr,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        n_epochs=args.n_epochs,
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    model.learn(total_timesteps=args.timesteps)
    env.close()


if __name__ == "__main__":
    main()
