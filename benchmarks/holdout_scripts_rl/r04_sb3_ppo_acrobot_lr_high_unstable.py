"""stable-baselines3 PPO on gymnasium Acrobot-v1 with a learning rate far too high (0.1, 333x the default) -- unstable.

The r03 script (PPO "MlpPolicy", Acrobot-v1, n_steps 512, batch 64, 10 epochs, 1024 timesteps = 160 Adam steps,
seed 0) with learning_rate=0.1. ~4 s on one core.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the weight matrices; entropy = mean action entropy over 256
fixed Acrobot states, max 1.099; returns = mean of 10 episodes on a separate env copy, sampled / greedy actions):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 10 --per-step r04_sb3_ppo_acrobot_lr_high_unstable.py
  step   W ratio   entropy   pmax    return sampled / greedy
  0      -         1.099     0.335   -500 / -500
  1      0.55      0.687     0.72    -112 / -140
  2      0.35      0.243     0.92    -193 / -470
  3      0.23      0.148     0.95    -156 / -179
  5      0.15      0.200     0.91    -500 / -500
  10     0.073     0.000     1.000   -500 / -500
  20     0.042     0.014     0.995   -500 / -500
  30     0.031     0.005     0.998   -500 / -500
  40     0.024     0.000     1.000   -500 / -500
  160    -         0.000     1.000   -500 / -500   (end of the script)
Per-tensor ratios in steps 1-5: value layers 55%, 35%, 21-25%, 16-18%, 13%; policy layers 3-25%; the small-init
action head 74x its norm on step 1. Loss 142 -> 2.7 by step 4 (the value net fits the rollout; not a divergence).

Why "unstable": the first Adam steps move the weight matrices by 15-55% of their norm and the policy goes
deterministic: entropy 1.099 -> 0.24 after 2 steps and 0.000-0.014 from step 10 on (one action with probability
~1 in every state). The single-action policy never swings the acrobot up: -500 at steps 5-160, against -132 (greedy,
step 40) and -86 / -381 (greedy / sampled, step 160) for the default rate (r03); run longer (5120 timesteps, 800
steps) it is still -500 with entropy 0.000, where the default rate reaches -91 / -156. A random policy also scores
-500 here (Acrobot's floor), so the damage shows as "worse than the default-rate run" and as the collapsed
entropy, not as a return below the random start. CAVEAT: steps 1-3 pass through a lucky near-deterministic
policy that swings up (-112 to -193) before it collapses at step 4-5; from step 5 on it is damaged for good.
Seed-dependence: seed 2 collapses the same way; seed 1 is still lucky at step 10 (-119) and -500 from step 20 on.
"""

import argparse

import gymnasium as gym
from stable_baselines3 import PPO

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="SB3 PPO on Acrobot-v1")
    parser.add_argument("--env", default="Acrobot-v1")
    parser.add_argument("--lr", type=float, default=0.1)
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
