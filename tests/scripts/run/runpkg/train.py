"""Regression trainer run as a module: `python -m runpkg.train --lr 0.05`."""

import argparse

import torch
from torch.nn import functional as F

from runpkg.net import make_net


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--iters", type=int, default=200)
    args = parser.parse_args()
    torch.manual_seed(0)
    net = make_net()
    opt = torch.optim.SGD(net.parameters(), lr=args.lr)
    w = torch.randn(10, 1)
    for _ in range(args.iters):
        x = torch.randn(32, 10)
        loss = F.mse_loss(net(x), x @ w)
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()
