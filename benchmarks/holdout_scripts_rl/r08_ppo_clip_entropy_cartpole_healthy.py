"""Plain-PyTorch PPO (clipped surrogate + entropy bonus) on CartPole-v1 at a normal rate (Adam 3e-4) -- healthy.

Separate actor and critic MLPs (4-64-64 tanh, orthogonal init gain sqrt 2), the actor's output layer initialised
small (orthogonal gain 0.01, so the policy starts uniform); rollouts of 512 steps, GAE (gamma 0.99, lambda 0.95),
4 epochs of 128-sample minibatches (16 Adam steps per rollout), clip 0.2, value coef 0.5, entropy coef 0.01,
gradient-norm clip 0.5, Adam lr 3e-4 eps 1e-5; 12 rollouts = 192 optimizer steps; seed 0.
~5 s on one core.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the six weight matrices; entropy = mean action entropy of the
actor over 256 fixed CartPole states visited by a random policy, max 0.693; returns = mean of 20 episodes on a
separate env copy, sampled / greedy actions; the runner restores all RNG states, so the script's output is unchanged):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --episodes 20 --env CartPole-v1 --per-step r08_ppo_clip_entropy_cartpole_healthy.py
  step   W ratio   actor output layer ratio   entropy   return sampled / greedy
  0      -         -                          0.693     21.2 / 9.5
  1      0.0015    0.21                       0.693     21.2 / 104
  10     0.00074   0.10                       0.693     22.4 / 83
  20     0.00067   0.046                      0.692     20.2 / 96
  30     0.0012    0.031                      0.690     20.2 / 103
  40     0.0012    0.032                      0.688     23.4 / 111
  192    -         -                          0.603     47.0 / 182   (end of the script)
(The all-tensor median reads 0.33-0.54 at steps 2-3 only because the biases start at exactly 0.) Loss (value term
dominated) 50 -> 38-44 over steps 20-40 and up again to ~50-80 later as episodes (and returns to fit) get longer.

Why "healthy": the hidden layers move 0.01-0.2% per step and the policy improves while it keeps exploring
(entropy 0.693 -> 0.688 at step 40, 0.603 at the end, held up by the entropy bonus): greedy return 9.5 -> 111 by
step 40 and 182 at the end, sampled 21 -> 47; the training log (mean of the last 10 episodes) reads 20-27 over
rollouts 1-4 and 41-46 over rollouts 8-12. The only large relative updates are in the actor's output layer (21% on
step 1, 10% at step 10, 3% at step 40), which is tiny by design (norm ~0.014) -- a layer that may look individually
alarming in a healthy run.
"""

import argparse

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

EXPECTED = {"verdict": "healthy"}


def layer(n_in: int, n_out: int, gain: float) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(lin.weight, gain)
    nn.init.zeros_(lin.bias)
    return lin


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64, out_gain: float = 0.01) -> None:
        super().__init__()
        self.actor = nn.Sequential(
            layer(obs_dim, hidden, 2**0.5),
            nn.Tanh(),
            layer(hidden, hidden, 2**0.5),
            nn.Tanh(),
            layer(hidden, n_actions, out_gain),
        )
        self.critic = nn.Sequential(
            layer(obs_dim, hidden, 2**0.5),
            nn.Tanh(),
            layer(hidden, hidden, 2**0.5),
            nn.Tanh(),
            layer(hidden, 1, 1.0),
        )

    def dist(self, obs: torch.Tensor) -> Categorical:
        return Categorical(logits=self.actor(obs))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description="PPO (clipped surrogate, entropy bonus) on CartPole-v1")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--rollout", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minibatch", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--gae-lambda", type=float, default=0.95)
    parser.add_argument("--clip", type=float, default=0.2)
    parser.add_argument("--ent-coef", type=float, default=0.01)
    parser.add_argument("--vf-coef", type=float, default=0.5)
    parser.add_argument("--max-grad-norm", type=float, default=0.5)
    parser.add_argument("--out-gain", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    env = gym.make("CartPole-v1")
    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    agent = ActorCritic(obs_dim, n_actions, out_gain=args.out_gain)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.lr, eps=1e-5)

    obs, _ = env.reset(seed=args.seed)
    finished: list[float] = []
    ep_return = 0.0
    for it in range(args.iterations):
        # ---- collect a rollout with the current policy
        buf_obs = torch.zeros(args.rollout, obs_dim)
        buf_act = torch.zeros(args.rollout, dtype=torch.long)
        buf_logp = torch.zeros(args.rollout)
        buf_rew = torch.zeros(args.rollout)
        buf_done = torch.zeros(args.rollout)
        buf_val = torch.zeros(args.rollout)
        for t in range(args.rollout):
            o = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                d = agent.dist(o)
                a = d.sample()
                buf_logp[t] = d.log_prob(a)
                buf_val[t] = agent.value(o)
            buf_obs[t], buf_act[t] = o, a
            obs, r, terminated, truncated, _ = env.step(int(a))
            buf_rew[t] = r
            ep_return += r
            buf_done[t] = float(terminated)
            if terminated or truncated:
                finished.append(ep_return)
                ep_return = 0.0
                obs, _ = env.reset()
            # a truncated (500-step) episode is not marked done, so its last step bootstraps from the next stored
            # value, which belongs to the new episode: a small bias, and rare this early in training
        with torch.no_grad():
            next_value = agent.value(torch.as_tensor(obs, dtype=torch.float32))

        # ---- generalised advantage estimation
        adv = torch.zeros(args.rollout)
        last = 0.0
        for t in reversed(range(args.rollout)):
            nv = next_value if t == args.rollout - 1 else buf_val[t + 1]
            nonterminal = 1.0 - buf_done[t]
            delta = buf_rew[t] + args.gamma * nv * nonterminal - buf_val[t]
            last = delta + args.gamma * args.gae_lambda * nonterminal * last
            adv[t] = last
        returns = adv + buf_val

        # ---- clipped-surrogate updates
        for _ in range(args.epochs):
            perm = torch.randperm(args.rollout)
            for start in range(0, args.rollout, args.minibatch):
                idx = perm[start : start + args.minibatch]
                d = agent.dist(buf_obs[idx])
                ratio = torch.exp(d.log_prob(buf_act[idx]) - buf_logp[idx])
                a = adv[idx]
                a = (a - a.mean()) / (a.std() + 1e-8)
                policy_loss = -torch.min(ratio * a, ratio.clamp(1 - args.clip, 1 + args.clip) * a).mean()
                value_loss = (agent.value(buf_obs[idx]) - returns[idx]).pow(2).mean()
                entropy = d.entropy().mean()
                loss = policy_loss + args.vf_coef * value_loss - args.ent_coef * entropy
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        recent = finished[-10:]
        mean_recent = np.mean(recent) if recent else float("nan")
        print(f"iteration {it + 1}: mean return of last {len(recent)} episodes {mean_recent:.1f}")
    env.close()


if __name__ == "__main__":
    main()
