"""A plain training script for the model of sample_models/deep_sigmoid.py.

Same construction order after torch.manual_seed(0) (the seed `gradscope diagnose` sets), so the
weights, the data and SGD(lr=0.1) are those of the model script: `gradscope run` on this file
and `gradscope diagnose` on that one measure the same steps.
"""

import argparse

import torch
from torch import nn
from torch.nn import functional as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()

    torch.manual_seed(0)
    depth, inputs, width, classes, batch = 12, 16, 64, 4, 64
    layers: list[nn.Module] = [nn.Linear(inputs, width), nn.Sigmoid()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), nn.Sigmoid()]
    layers.append(nn.Linear(width, classes))
    model = nn.Sequential(*layers)
    teacher = torch.randn(inputs, classes)
    x = torch.randn(8 * batch, inputs)
    data = list(zip(x.split(batch), (x @ teacher).argmax(dim=1).split(batch), strict=True))

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        for inputs_, target in data:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(inputs_), target)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
