"""A pytorch/examples-style script: argparse, a Dataset and DataLoader, `for epoch` with a
train() function, a scheduler and an evaluation pass. Synthetic data, so nothing is downloaded."""

import argparse
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def train(
    args: argparse.Namespace, model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer, epoch: int
) -> None:
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.cross_entropy(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)}]\tLoss: {loss.item():.6f}")


def test(model: nn.Module, loader: DataLoader) -> None:
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in loader:
            correct += int((model(data).argmax(1) == target).sum())
    print(f"Test accuracy: {correct}/{len(loader.dataset)}")


def main() -> None:
    parser = argparse.ArgumentParser(description="synthetic classification")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--log-interval", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--done-file", default="", help="written when training ends")
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    teacher = torch.randn(20, 3)
    x = torch.randn(640, 20)
    y = (x @ teacher).argmax(1)
    train_loader = DataLoader(TensorDataset(x[:512], y[:512]), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(x[512:], y[512:]), batch_size=64)

    model = Net(args.hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        train(args, model, train_loader, optimizer, epoch)
        test(model, test_loader)
        scheduler.step()
    if args.done_file:
        Path(args.done_file).write_text("done\n")


if __name__ == "__main__":
    main()
