"""stable-baselines3 A2C on gymnasium CartPole-v1 with a learning rate far too high (0.1, 143x the default) -- unstable.

The r01 script (A2C "MlpPolicy", 8 CartPole-v1 copies, n_steps 5, RMSprop, 8000 timesteps = 200 steps, seed 0) with
learning_rate=0.1. ~4 s on one core.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the weight matrices; entropy = mean action entropy over 256
fixed CartPole states, max 0.693; returns = mean of 20 episodes on a separate env copy, sampled / greedy actions):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 20 --per-step r02_sb3_a2c_cartpole_lr_high_unstable.py
  step   W ratio   policy-net / value-net first-layer ratio   entropy   return sampled / greedy
  0      -         -                                          0.693     21.2 / 333
  1      4.0       0.27 / 4.4   (action head 680x its norm)   0.092     20.3 / 21.1
  2      1.1       3.7 / 0.83                                 0.000     10.1 / 10.1
  5      0.18      0 / 0.39                                   0.028      9.4 / 9.4
  10     0.024     0 / 0.049                                  0.028      9.4 / 9.4
  20     0.036     0 / 0.073                                  0.028      9.4 / 9.4
  30     0.0023    0 / 0.0045                                 0.028      9.4 / 9.4
  40     0.047     0 / 0.095                                  0.028      9.4 / 9.4
  200    -         -                                          0.028      9.4 / 9.4   (end of the script)
Loss (A2C's policy + 0.5 value loss) 7.5 -> 710 at step 3, then 4-175, swinging.

Why "unstable": the first two RMSprop steps move the weight matrices by 100-400% of their norm, and the policy
collapses onto one action everywhere (entropy 0.693 -> 0.09 after 1 step, 0.000 after 2) -- always pushing the same
way, the worst CartPole behaviour: return 9.4 from step 5 to the end, against 21 for the random start and 27
(step 40) / 168 (step 200) for the default rate (r01). The damage is done by step 2-5 and never undone: the saturated
tanh/softmax leaves the policy layers with zero gradient, so from step 5 on they do not move at all (ratio 0) while
the value network keeps moving 0.5-40% per step ("others": those quiet layers look individually healthy).
Seeds 1 and 2: same collapse (9.3-9.4 from step 10 on). lr 0.03 collapses too; lr 0.01 does not (see r01).
"""

import argparse

from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description="SB3 A2C on CartPole-v1")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--n-envs", type=int, default=8)
    parser.add_argument("--timesteps", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = make_vec_env("CartPole-v1", n_envs=args.n_envs, seed=args.seed)
    model = A2C("MlpPolicy", env, learning_rate=args.lr, seed=args.seed, device="cpu", verbose=0)
    model.learn(total_timesteps=args.timesteps)
    env.close()


if __name__ == "__main__":
    main()
