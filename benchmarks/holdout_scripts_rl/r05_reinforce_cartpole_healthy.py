"""Plain-PyTorch REINFORCE (Monte-Carlo policy gradient) on CartPole-v1 at a normal rate (Adam 3e-3) -- healthy.

Policy 4-64-2 MLP (tanh) giving logits for torch.distributions.Categorical; one episode per update, discounted
(gamma 0.99) returns normalised within the episode, loss = -sum(log_prob * return); Adam lr 3e-3; 150 episodes
= 150 optimizer steps; seed 0 (torch, numpy, env reset seeds). ~9 s on one core.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the two weight matrices; entropy = mean action entropy over
256 fixed CartPole states visited by a random policy, max 0.693; returns = mean of 20 episodes on a separate env
copy, sampled / greedy actions; the runner restores all RNG states, the script's own output is unchanged):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 20 --env CartPole-v1 --per-step r05_reinforce_cartpole_healthy.py
  step   W ratio   largest tensor ratio   entropy   return sampled / greedy
  0      -         -                      0.693     20.9 / 24.6
  1      0.024     0.038                  0.692     19.4 / 9.4
  10     0.0087    0.018                  0.687     21.8 / 42.6
  20     0.0072    0.011                  0.672     26.7 / 23.2
  30     0.013     0.021                  0.639     47.8 / 56.1
  40     0.0081    0.016                  0.563     39.1 / 66.0
  150    -         -                      0.344     231 / 412   (end of the script)
The loss (sum of log-prob x normalised return) is centred on 0 by construction and swings -4.8..+2.1 step to step;
it is not a descent curve. Training log: mean return of the last 20 episodes 24 -> 34 -> 40 -> 59 -> 99 -> 163 -> 291.

Why "healthy": updates of 0.5-2.5% per step, a gradual fall of the entropy (0.693 -> 0.563 at step 40) while the
return climbs (sampled 21 -> 39-48 by steps 30-40, 231 at the end; greedy 412). Seeds 1 and 2: entropy 0.51-0.54
at step 40 with returns 47-52, 270-345 at the end. lr 1e-2 (the rate of the well-known PyTorch example) also
learns (489 at 200 episodes) but with 4-13% steps and entropy 0.28 by step 40; 3e-3 was chosen as the plainly
normal rate. Contrast: r06 (lr 0.3) moves the weights 100-380% on step 1 and collapses to return 9.4.
"""

import argparse

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

EXPECTED = {"verdict": "healthy"}


def discounted_returns(rewards: list[float], gamma: float) -> torch.Tensor:
    out, running = [], 0.0
    for r in reversed(rewards):
        running = r + gamma * running
        out.append(running)
    out.reverse()
    return torch.tensor(out, dtype=torch.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description="REINFORCE (Monte-Carlo policy gradient) on CartPole-v1")
    parser.add_argument("--lr", type=float, default=3e-3)
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
