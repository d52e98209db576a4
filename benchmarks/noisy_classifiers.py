"""False alarms on small-batch classifiers: how often a sane run is given a problem verdict.

A grid of MLP classifiers trained with Adam at lr 1e-3 (the textbook setting) inside
gradscope.watch: C classes (2, 10, 100) around Gaussian centres, input scale 1 or 3,
batch 8 to 64, labels clean or half of them random (a loss that hovers at ln C), 6 seeds,
20 steps. Nothing here is broken, so every problem verdict is a false alarm; the small
batches make the per-step loss noisy, which is what the loss-based rules must not read
as instability. Prints the count per verdict and per rule, and the runs that fired.

Run: python benchmarks/noisy_classifiers.py [--seeds N] [--steps N]
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools

import torch
from torch import nn
from torch.nn import functional as F

import gradscope
from gradscope.advice.report import Source, assemble
from gradscope.data.notes import Voice


def run(seed: int, classes: int, scale: float, batch: int, noise: float, steps: int) -> tuple[str, list[str]]:
    """One training run's verdict and its findings (code: the start of the message)."""
    torch.manual_seed(seed)
    dim, n = 32, 4096
    centres = torch.randn(classes, dim)
    y = torch.randint(0, classes, (n,))
    x = (centres[y] * 0.5 + torch.randn(n, dim)) * scale
    y = torch.where(torch.rand(n) < noise, torch.randint(0, classes, (n,)), y)
    model = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, classes))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with gradscope.watch(model, opt) as w:
        for _ in range(steps):
            rows = torch.randint(0, n, (batch,))
            opt.zero_grad()
            loss = F.cross_entropy(model(x[rows]), y[rows])
            loss.backward()
            w.loss(loss)
            opt.step()
    record = w.record()
    # What `diagnose` knows when it computes the cross-entropy itself: the number of classes.
    record = dataclasses.replace(record, run=dataclasses.replace(record.run, classes=classes))
    report = assemble(record, Source(voice=Voice(door="watch")))
    return report.verdict.value, [f"{f.code}: {f.message[:90]}" for f in report.findings if f.withdrawn is None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    verdicts: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    grid = itertools.product((2, 10, 100), (1.0, 3.0), (8, 16, 32, 64), (0.0, 0.5), range(args.seeds))
    for classes, scale, batch, noise, seed in grid:
        verdict, found = run(seed, classes, scale, batch, noise, args.steps)
        verdicts[verdict] += 1
        codes.update({f.split(":")[0] for f in found})
        if verdict != "healthy":
            print(f"{verdict:10s} C={classes} scale={scale} batch={batch} noise={noise} seed={seed} {found}")
    total = sum(verdicts.values())
    print(f"\n{total} runs: {dict(verdicts)}; runs with each finding: {dict(codes)}")
    print(f"false alarms (a problem verdict): {total - verdicts['healthy']}/{total}")


if __name__ == "__main__":
    main()
