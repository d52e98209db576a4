"""accelerate training loop (Accelerator(cpu=True), accelerator.backward) of a small CNN -- healthy.

accelerate loop: Accelerator(cpu=True), prepare(model, optimizer, loader), accelerator.backward(loss). Model: a
small CNN (conv 1->16->32 with ReLU and max-pool, fc 512->64->4). Data: 2048 1x16x16 images, one fixed random
template per class (4 classes) plus N(0, 1.5^2) noise, batch 32 shuffled (64 steps per epoch, 1 epoch).
AdamW(lr=1e-3, weight_decay=0.01). ~8 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e04_accelerate_cnn_templates_healthy.py
  steps  loss start / max (step) / min / end   total grad norm   median-tensor update ratio (at step)
  10     1.37 / 1.39 (2) / 1.23 / 1.23         0.82..1.37        0.0073..0.019 (0.0073)
  20     1.37 / 1.39 (2) / 0.93 / 0.94         0.81..2.37        0.0061..0.019 (0.0061)
  30     1.37 / 1.39 (2) / 0.57 / 0.57         0.81..3.43        0.0052..0.019 (0.0069)
  40     1.37 / 1.39 (2) / 0.33 / 0.33         0.81..3.74        0.0045..0.019 (0.0049)

Why "healthy": the loss falls from 1.37 (chance 1.39) to 0.33 by step 40 and 0.04 by step 60; gradients 0.8-3.7,
weights move ~0.5-1% per step. Control: --lr 1e-5 stays at 1.31-1.44 (ratio ~1e-4).
"""

import argparse

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

EXPECTED = {"verdict": "healthy", "others": ["healthy"]}


def synthetic_images(n: int = 2048) -> TensorDataset:
    """1x16x16 images: one fixed random template per class (4 classes) plus N(0, 1.5^2) pixel noise."""
    g = torch.Generator().manual_seed(1)
    templates = torch.randn(4, 1, 16, 16, generator=g)
    labels = torch.randint(0, 4, (n,), generator=g)
    images = templates[labels] + 1.5 * torch.randn(n, 1, 16, 16, generator=g)
    return TensorDataset(images, labels)


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()

    accelerator = Accelerator(cpu=True)
    set_seed(0)
    model = SmallCNN()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    loader = DataLoader(synthetic_images(), batch_size=32, shuffle=True)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)

    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for step, (images, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), labels)
            accelerator.backward(loss)
            optimizer.step()
            total += loss.item()
            if step % 10 == 0:
                accelerator.print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        accelerator.print(f"epoch {epoch} mean loss {total / len(loader):.4f}")


if __name__ == "__main__":
    main()
