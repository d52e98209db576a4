"""Plain-PyTorch policy gradient on an easy contextual bandit at a normal rate (Adam 1e-2) -- healthy (tricky).

Environment (written here): context x ~ N(0, I_8); 4 arms; the paying arm is argmax(x[0:4]); pulling it pays 1
with probability 0.9, any other arm with probability 0.1. Policy 8-64-4 MLP (ReLU) -> Categorical logits; batch of
128 contexts per step, REINFORCE with the batch-mean reward as baseline; Adam lr 1e-2; 200 steps; seed 0. ~3 s.

The tricky part: the policy legitimately becomes confident fast because it is learning the right answer -- its
entropy falls from 1.375 to 0.37 within 40 steps -- which a watcher could mistake for a collapse.

How the label was measured (plain runner beside it: torch's global optimizer step hooks; ratio = per-tensor
||W_after - W_before|| / ||W_before||, "W" = median over the two weight matrices; entropy (max ln 4 = 1.386), pmax
and greedy accuracy (argmax arm == paying arm) on 1024 fixed contexts from the script's own sample_contexts /
best_arm):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure_rl.py --stop 100000 --final \
      --marks 1,2,3,5,10,20,30,40 --bandit --per-step r07_pg_contextual_bandit_healthy.py
  step   W ratio   largest tensor ratio   entropy   pmax    greedy accuracy
  0      -         -                      1.375     0.296   0.318
  1      0.092     0.16                   1.372     0.301   0.439
  5      0.055     0.081                  1.324     0.365   0.634
  10     0.045     0.064                  1.196     0.469   0.734
  20     0.033     0.044                  0.812     0.668   0.864
  30     0.021     0.026                  0.512     0.795   0.918
  40     0.014     0.031                  0.373     0.849   0.936
  200    -         -                      0.121     0.950   0.941   (end of the script)
The loss (-(log_prob x advantage).mean()) goes 0.006 -> about -0.26 by step 20 and back towards -0.15 as the
advantages shrink; it is not a descent curve.

Why "healthy": every step the greedy accuracy rises (0.32 -> 0.73 at step 10, 0.94 at step 40; chance is 0.25) and
the entropy falls only as fast as the policy gets it right; the updates shrink steadily (W ratio 9% on step 1 -- Adam's
sign-like first step on a fresh 64-wide net -- 4.5% at step 10, 1.4% at step 40). Seeds 1 and 2: accuracy 0.90-0.91
and entropy 0.38-0.42 at step 40, 0.95-0.96 at step 200. Contrast, same script at --lr 0.3: the weights move 150-480%
on step 1, the entropy is 0.05 by step 5 and 0.005 by step 40 while the greedy accuracy stalls at 0.64-0.74 (and
falls to ~0.5 by step 200 on seeds 1 and 2): there the confidence is not earned.
"""

import argparse

import torch
from torch import nn
from torch.distributions import Categorical

EXPECTED = {"verdict": "healthy"}

CONTEXT_DIM = 8
N_ARMS = 4


def sample_contexts(n: int, generator: torch.Generator) -> torch.Tensor:
    """Contexts are standard-normal vectors."""
    return torch.randn(n, CONTEXT_DIM, generator=generator)


def best_arm(contexts: torch.Tensor) -> torch.Tensor:
    """The paying arm is the index of the largest of the first N_ARMS context features."""
    return contexts[:, :N_ARMS].argmax(dim=1)


def pull(
    contexts: torch.Tensor, arms: torch.Tensor, generator: torch.Generator, p_good: float = 0.9, p_bad: float = 0.1
) -> torch.Tensor:
    """Bernoulli reward: the best arm pays 1 with probability p_good, any other arm with p_bad."""
    p = torch.where(arms == best_arm(contexts), torch.tensor(p_good), torch.tensor(p_bad))
    return torch.bernoulli(p, generator=generator)


def main() -> None:
    parser = argparse.ArgumentParser(description="policy gradient on a contextual bandit")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--p-good", type=float, default=0.9)
    parser.add_argument("--p-bad", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    env_rng = torch.Generator().manual_seed(args.seed + 1)
    eval_contexts = sample_contexts(2048, torch.Generator().manual_seed(args.seed + 2))
    policy = nn.Sequential(nn.Linear(CONTEXT_DIM, args.hidden), nn.ReLU(), nn.Linear(args.hidden, N_ARMS))
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)

    for step in range(1, args.steps + 1):
        contexts = sample_contexts(args.batch_size, env_rng)
        dist = Categorical(logits=policy(contexts))
        arms = dist.sample()
        rewards = pull(contexts, arms, env_rng, args.p_good, args.p_bad)
        advantage = rewards - rewards.mean()
        loss = -(dist.log_prob(arms) * advantage).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if step % 20 == 0:
            with torch.no_grad():
                logits = policy(eval_contexts)
                acc = (logits.argmax(1) == best_arm(eval_contexts)).float().mean()
                ent = Categorical(logits=logits).entropy().mean()
            print(f"step {step:4d}  mean reward {rewards.mean():.3f}  greedy accuracy {acc:.3f}  entropy {ent:.3f}")


if __name__ == "__main__":
    main()
