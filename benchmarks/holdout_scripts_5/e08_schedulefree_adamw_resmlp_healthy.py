"""Plain PyTorch loop with schedule-free AdamW (the schedulefree package) on a residual MLP -- healthy.

Plain PyTorch loop with schedulefree.AdamWScheduleFree(lr=2e-3, warmup_steps=5, weight_decay=1e-4) (optimizer.train()
before training, .eval() before evaluating, as its README says). Model: a residual MLP (16 -> 64, two pre-LayerNorm
GELU blocks 64-256-64, LayerNorm, -> 1). Data: 16 fixed batches of 64 Gaussian 16-d inputs, target a fixed smooth
nonlinear function (sum of sines plus x0*x1) plus 0.1 noise, MSE (target std 1.03). 50 steps, ~3 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e08_schedulefree_adamw_resmlp_healthy.py
  steps  loss start / max (step) / min / end   total grad norm   median-tensor update ratio (at step)
  10     2.13 / 2.13 (0) / 0.39 / 0.70         2.2..8.7          0.0053..0.016 (0.0055)
  20     2.13 / 2.13 (0) / 0.16 / 0.16         1.4..8.7          0.0028..0.016 (0.0030)
  30     2.13 / 2.13 (0) / 0.11 / 0.11         0.98..8.7         0.0020..0.016 (0.0020)
  40     2.13 / 2.13 (0) / 0.081 / 0.17        0.77..8.7         0.0019..0.016 (0.0026)
(schedule-free AdamW overwrites p.grad inside step(); the norm above is read before the step.)

Why "healthy": the loss falls from 2.13 to ~0.1-0.2 (per-batch noise) within 30 steps, gradients shrink from 8.7
to ~1 as it fits, the weights move 0.2-1.6% per step. Control: --lr 2e-5 only reaches 1.33-1.9 (ratio ~1e-4).
"""

import argparse

import schedulefree
import torch
import torch.nn.functional as F
from torch import nn

EXPECTED = {"verdict": "healthy", "others": ["healthy"]}


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 4 * width)
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class ResMLP(nn.Module):
    def __init__(self, inputs: int = 16, width: int = 64, depth: int = 2) -> None:
        super().__init__()
        self.inp = nn.Linear(inputs, width)
        self.blocks = nn.Sequential(*[Block(width) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.norm(self.blocks(self.inp(x)))).squeeze(-1)


def batches(n_batches: int = 16, size: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Regression target: a fixed smooth nonlinear function of 16 Gaussian features, plus 0.1 noise."""
    g = torch.Generator().manual_seed(1)
    w1, w2 = torch.randn(16, 32, generator=g) / 4, torch.randn(32, generator=g) / 4
    out = []
    for _ in range(n_batches):
        x = torch.randn(size, 16, generator=g)
        y = torch.sin(x @ w1) @ w2 + 0.5 * x[:, 0] * x[:, 1] + 0.1 * torch.randn(size, generator=g)
        out.append((x, y))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = ResMLP()
    optimizer = schedulefree.AdamWScheduleFree(model.parameters(), lr=args.lr, warmup_steps=5, weight_decay=1e-4)
    data = batches()
    model.train()
    optimizer.train()
    for step in range(args.steps):
        x, y = data[step % len(data)]
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step} loss {loss.item():.4f}")
    model.eval()
    optimizer.eval()
    with torch.no_grad():
        x, y = data[0]
        print(f"eval loss {F.mse_loss(model(x), y).item():.4f}")


if __name__ == "__main__":
    main()
