"""Healthy baseline: a 3-layer ReLU MLP learning a 4-class teacher, default Adam (lr 1e-3).

The labels are the argmax of a fixed random two-layer "teacher" network, so they are a smooth,
learnable function of the inputs. With PyTorch's default init and Adam, every layer gets a
gradient of comparable size (~0.1-0.5), each step moves the weights by about 0.5-1.5% of their
norm, and the loss falls steadily (about 1.4 -> 0.7 in 20 steps): gradscope should find nothing
wrong.

This is the one sample with a ``__main__`` block; gradscope imports the script under another
name, so the block must not run during ``gradscope diagnose``.
"""

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}

IN, HIDDEN, CLASSES, BATCH = 16, 256, 4, 128

_teacher = nn.Sequential(nn.Linear(IN, 64), nn.Tanh(), nn.Linear(64, CLASSES))


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(BATCH, IN)
    with torch.no_grad():
        y = _teacher(x).argmax(dim=1)
    return x, y


model = nn.Sequential(
    nn.Linear(IN, HIDDEN),
    nn.ReLU(),
    nn.Linear(HIDDEN, HIDDEN),
    nn.ReLU(),
    nn.Linear(HIDDEN, CLASSES),
)
data = [_batch() for _ in range(8)]


if __name__ == "__main__":
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(100):
        x, y = data[step % len(data)]
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")
