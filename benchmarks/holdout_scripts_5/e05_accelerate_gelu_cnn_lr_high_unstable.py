"""accelerate loop (Accelerator(cpu=True), accelerator.backward), GELU CNN, AdamW lr far too high -- unstable.

The e04 accelerate loop and data with GELU instead of ReLU, and AdamW(lr=0.1): an SGD-sized rate handed to Adam.
~4 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e05_accelerate_gelu_cnn_lr_high_unstable.py
  steps  loss start / max (step) / min / end   total grad norm   median-tensor update ratio (at step)
  10     1.37 / 258 (1) / 1.37 / 29.0          0.57..656         0.11..1.9 (0.11)
  20     1.37 / 258 (1) / 1.24 / 1.64          0.37..656         0.029..1.9 (0.029)
  30     1.37 / 258 (1) / 1.24 / 1.57          0.37..656         0.0093..1.9 (0.0093)
  40     1.37 / 258 (1) / 1.24 / 1.41          0.24..656         0.0034..1.9 (0.0034)
Per-step losses 1-10: 258, 28.6, 48.5, 47.9, 10.6, 57.2, 104, 104, 29.0; then 1.2-2.2 (never learns).

Why "unstable": the first update moves the weights by 1.9x their norm, the loss jumps from 1.37 to 258 and swings
between 10 and 104 for ten steps (gradients stay finite, the norm follows the loss up to 656), then the run sits at
or above chance (1.24-1.75) for the rest of the 40 steps while the control learns. Nothing is NaN. Control, the
same script at --lr 1e-3: 1.16 / 0.61 / 0.23 / 0.13 at 10/20/30/40 steps, ratio ~0.5-1%.
"""

import argparse

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}


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
        x = F.max_pool2d(F.gelu(self.conv1(x)), 2)
        x = F.max_pool2d(F.gelu(self.conv2(x)), 2)
        return self.fc2(F.gelu(self.fc1(x.flatten(1))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-1)
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
