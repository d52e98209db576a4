"""A contextual bandit trained by REINFORCE, as a policy-gradient script is written.

Four arms; the best one is the context's nearest of four fixed directions. The policy (a tanh
MLP) samples its arm from a Categorical and is trained on the REINFORCE objective with a mean
baseline under Adam. Greedy accuracy on 1,000 held-out contexts and the policy's entropy
there (share of ln 4) after 10 / 40 steps, `python policy_bandit.py --lr LR --steps N --report`:
lr 1e-2 0.85 / 0.92 (entropy 0.38 / 0.11), 3e-2 0.82 / 0.84, 0.1 0.80 / 0.82, 0.3 0.56 / 0.73
(entropy 0.02 at both); random 0.25. At 1e-2 the policy sharpens over tens of steps as it
learns; at 0.3 it is near-certain of its arm after a few steps, often the wrong one, and stays
behind 1e-2 for the whole run.
"""

import argparse

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--report", action="store_true", help="print the greedy accuracy and entropy at the end")
    args = parser.parse_args()
    torch.manual_seed(0)
    policy = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 4))
    optimizer = torch.optim.Adam(policy.parameters(), lr=args.lr)
    directions = torch.randn(4, 8)
    for _ in range(args.steps):
        contexts = torch.randn(128, 8)
        best = (contexts @ directions.T).argmax(1)
        arms = torch.distributions.Categorical(logits=policy(contexts))
        chosen = arms.sample()
        reward = (chosen == best).float()
        loss = -(arms.log_prob(chosen) * (reward - reward.mean())).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if args.report:
        # Held-out contexts from a generator of their own: the training draws stay as they are.
        held_out = torch.randn(1000, 8, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            logits = policy(held_out)
        accuracy = (logits.argmax(1) == (held_out @ directions.T).argmax(1)).float().mean()
        spread = torch.distributions.Categorical(logits=logits).entropy().mean() / torch.log(torch.tensor(4.0))
        print(f"lr {args.lr:g} steps {args.steps}: greedy accuracy {accuracy:.2f}, entropy {spread:.2f} of ln 4")


if __name__ == "__main__":
    main()
