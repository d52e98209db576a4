"""What observing a policy costs under `gradscope run`: each Categorical a script builds.

A rollout builds one distribution per environment step (stable-baselines3 at batch 1, under
no_grad), a training step one per minibatch (with the gradient flowing through it). This times
building N distributions plainly and with the run door's patch installed (its listener adds the
entropy of each one the gradient flows through to the coming step's running sum, as the
observer does; the others it only looks at), for both kinds.

With --sb3 it also times a whole stable-baselines3 PPO learn() on CartPole (2048 timesteps, two
epochs) with the patches installed and without, the hooks on optimizer steps left out.

Run: python benchmarks/policy_cost.py [--n 20000] [--rows 1 64] [--device cpu] [--sb3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch

from gradscope.doors.run.patches import Patches
from gradscope.probe.policies import Entropies


class Listener:
    """Only the distributions matter here; the rest of the listener does nothing."""

    def __init__(self) -> None:
        self.entropies = Entropies()

    def distribution(self, distribution: Any) -> None:
        self.entropies.add(distribution)

    def sampled(self, distribution: Any) -> None: ...

    def backward(self, tensors: Any) -> None: ...
    def constructed(self, optimizer: torch.optim.Optimizer) -> None: ...
    def scaled(self, scaler: torch.amp.GradScaler, outputs: Any, scaled: Any) -> None: ...
    def steps_taken(self) -> int:
        return 0

    def step_skipped(self, optimizer: torch.optim.Optimizer) -> None: ...
    def pre_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None: ...
    def post_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None: ...


def build(n: int, logits: torch.Tensor) -> float:
    """Seconds per distribution built and sampled from."""
    if logits.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        torch.distributions.Categorical(logits=logits).sample()
    if logits.is_cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / n


def sb3_learn(observe: bool) -> float:
    """Seconds for one PPO learn() on CartPole, with the Categorical patches installed or not."""
    import gymnasium as gym
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", gym.make("CartPole-v1"), n_steps=1024, batch_size=64, n_epochs=2, seed=0, device="cpu")
    patches = Patches(Listener()) if observe else None
    if patches is not None:
        patches.install()
    start = time.perf_counter()
    try:
        model.learn(total_timesteps=2048)
    finally:
        if patches is not None:
            patches.uninstall()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sb3", action="store_true", help="also time a stable-baselines3 PPO learn()")
    args = parser.parse_args()
    device = torch.device(args.device)
    print("| rows | gradient | plain us | observed us | extra us | extra |")
    print("|---|---|---|---|---|---|")
    for rows, grad in [(r, g) for r in args.rows for g in (False, True)]:
        logits = torch.randn(rows, 2, device=device, requires_grad=grad)
        plain, observed = [], []
        for _ in range(args.repeats):
            plain.append(build(args.n, logits))
            listener = Listener()
            patches = Patches(listener)
            patches.install()
            try:
                observed.append(build(args.n, logits))
            finally:
                patches.uninstall()
            assert (listener.entropies.take(device) is not None) == grad
        p, o = statistics.median(plain) * 1e6, statistics.median(observed) * 1e6
        print(f"| {rows} | {'yes' if grad else 'no'} | {p:.1f} | {o:.1f} | {o - p:.1f} | {o / p - 1:+.0%} |")
    if args.sb3:
        plain, observed = [], []
        for k in range(args.repeats):
            # Alternating which goes first, so warming up favours neither.
            for observe in (k % 2 == 0, k % 2 == 1):
                (observed if observe else plain).append(sb3_learn(observe))
        p, o = statistics.median(plain), statistics.median(observed)
        print(f"\nSB3 PPO CartPole learn(2048): plain {p:.2f} s, observed {o:.2f} s, {o / p - 1:+.1%}")


if __name__ == "__main__":
    main()
