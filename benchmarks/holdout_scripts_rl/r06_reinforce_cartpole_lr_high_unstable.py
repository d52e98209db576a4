"""Plain-PyTorch REINFORCE on gymnasium CartPole-v1 with a learning rate far too high (Adam 0.3, 100x r05) -- unstable.

The r05 script (4-64-2 tanh policy, Categorical, one episode per update, normalised discounted returns, 150 episodes
= 150 optimizer steps, seed 0) with lr 0.3. ~3 s on one core (the collapsed policy's episodes are 8-11 steps long).

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the two weight matrices; entropy = mean action entropy over
256 fixed CartPole states, max 0.693; returns = mean of 20 episodes on a separate env copy, sampled / greedy):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 20 --env CartPole-v1 --per-step r06_reinforce_cartpole_lr_high_unstable.py
  step   W ratio   per-tensor range   entropy   pmax    return sampled / greedy
  0      -         -                  0.693     0.508   20.9 / 24.6
  1      2.4       1.0 .. 3.8         0.138     0.942    9.4 / 9.4
  2      0.57      0.50 .. 0.82       0.087     0.963    9.4 / 9.4
  3      0.29      0.28 .. 0.35       0.075     0.968    9.4 / 9.4
  5      0.14      0.13 .. 0.18       0.048     0.987    9.6 / 9.4
  10     0.071     0.065 .. 0.076     0.011     0.995    9.4 / 9.4
  20     0.020     0.017 .. 0.020     0.002     1.000    9.4 / 9.4
  30     0.0069    ~0.007             0.000     1.000    9.4 / 9.4
  40     0.0026    0.0022 .. 0.0027   0.001     1.000    9.4 / 9.4
  150    -         -                  0.001     1.000    9.4 / 9.4   (end of the script)

Why "unstable": the very first Adam step moves every tensor by 100-380% of its norm and the policy collapses onto
one action (entropy 0.693 -> 0.14 after one step, 0.011 at step 10, ~0 from step 20): it always pushes the same
way, CartPole's worst return, 9.4 at every mark from step 1 to the end, against 21 for the random start and 39-48
(steps 30-40) / 231 (end) at the normal rate (r05). It never recovers: the softmax saturates (log_prob ~ 0), so
the gradient vanishes (grad norm 4.4 at step 1, 1e-6 at step 9, < 1e-10 from step 10, exactly 0 from step 20)
and the loss reads exactly 0 from step 9 on -- a flat "converged" loss that hides a dead policy. The later weight
ratios only shrink because Adam's momentum decays (0.07 at step 10, 0.003 at step 40). Seeds 1 and 2: the same
collapse (9.3-9.4 from step 10 on, entropy < 0.03). lr 0.1 and 1.0 collapse too.
"""

import argparse

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}


def discounted_returns(rewards: list[float], gamma: float) -> torch.Tensor:
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    out.reverse()
    return torch.tensor(out, dtype=torch.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description="REINFORCE (Monte-Carlo policy gradient) on CartPole-v1")
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--episodes", type=int, default=150)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    env = gym.make("CartPole-v1")
    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    policy = nn.Sequential(nn.Linear(obs_dim, args.hidden), nn.Tanh(), nn.Linear(args.hidden, n_actions))
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)

    recent: list[float] = []
    for episode in range(args.episodes):
        obs, _ = env.reset(seed=args.seed + episode)
        log_probs, rewards, done = [], [], False
        while not done:
            logits = policy(torch.as_tensor(obs, dtype=torch.float32))
            dist = Categorical(logits=logits)
            action = dist.sample()
            log_probs.append(dist.log_prob(action))
            obs, reward, terminated, truncated, _ = env.step(int(action))
            rewards.append(float(reward))
            done = terminated or truncated

        returns = discounted_returns(rewards, args.gamma)
        if len(returns) > 1:
            returns = (returns - returns.mean()) / (returns.std() + 1e-8)
        loss = -(torch.stack(log_probs) * returns).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        recent.append(sum(rewards))
        if (episode + 1) % 20 == 0:
            print(f"episode {episode + 1:4d}  mean return (last 20) {np.mean(recent[-20:]):7.1f}")
    env.close()


if __name__ == "__main__":
    main()
