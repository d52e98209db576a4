"""A trainer that writes its checkpoint in `finally` (so a crash or Ctrl-C still saves) and a
log through a context manager. A 1.6M-parameter MLP, so the checkpoint is several megabytes."""

import argparse
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


def build() -> tuple[nn.Module, torch.optim.Optimizer, list[tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(256, 64)
    y = (x @ torch.randn(64, 10)).argmax(1)
    return model, optimizer, list(zip(x.split(32), y.split(32), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--iters", type=int, default=100_000)
    args = parser.parse_args()
    model, optimizer, batches = build()
    done = 0
    try:
        with Path(args.log).open("w") as log:
            for it in range(args.iters):
                x, y = batches[it % len(batches)]
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                done = it + 1
                log.write(f"{done} {loss.item():.6f}\n")
    finally:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "done": done}, args.out)
        print(f"checkpoint written after {done} completed iterations")


if __name__ == "__main__":
    main()
