"""Healthy control for swing_sgd_bn_cnn.py: the same BatchNorm CNN at SGD lr=0.1 (momentum 0.9).

Same architecture, optimizer class and data generator as the swinging script; the blob is
clearer (height 1.0 instead of 0.3) and the seeds differ (weights 0, data 1), so that the run
converges visibly within 10 steps. The loss falls with ordinary minibatch noise:
  1.184 1.101 1.126 1.075 1.096 1.057 1.075 1.032 0.982 0.939 | ... 0.732 (step 19) ... 0.532
  (step 29) ... 0.509 (step 39), lowest 0.389 (step 36)
  N=10: start 1.184, max 1.184 (step 0), end 0.939
  N=20: end 0.732;  N=30: end 0.532;  N=40: end 0.509 (min 0.389)
Total gradient norm 0.36-1.03 (1.03 at step 32), median update ratio 0.012-0.038.

Measured with torch 2.13 CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

CLASSES, BATCH, BATCHES, SIDE = 3, 30, 8, 8


def _cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1, stride=2),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, CLASSES),
    )


def _blobs(seed: int, signal: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Noise images; class c has a faint 3x3 blob of height `signal` somewhere in channel c."""
    gen = torch.Generator().manual_seed(seed)
    n = BATCHES * BATCH
    labels = (torch.arange(n) % CLASSES)[torch.randperm(n, generator=gen)]  # 10 of each class per batch
    images = torch.randn(n, 3, SIDE, SIDE, generator=gen)
    for i in range(n):
        row, col = torch.randint(0, SIDE - 2, (2,), generator=gen).tolist()
        images[i, labels[i], row : row + 3, col : col + 3] += signal
    return list(zip(images.split(BATCH), labels.split(BATCH), strict=True))


torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = _cnn()
data = _blobs(1, signal=1.0)


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


# --- plain-PyTorch replay of gradscope's loop (not used by gradscope) -------------------------------
def _replay(n_steps: int, table: bool) -> dict:
    """Train n_steps from the import-time weights the way gradscope does; return the figures."""
    import math
    import random

    model.load_state_dict(_INITIAL)
    model.train()
    random.seed(0)
    torch.manual_seed(0)
    opt = optimizer(model.parameters()) if "optimizer" in globals() else torch.optim.Adam(model.parameters(), lr=1e-3)
    closure_based = isinstance(opt, torch.optim.LBFGS)
    params = [p for p in model.parameters() if p.requires_grad]
    layers = [(name, [p for p in m.parameters(recurse=False) if p.requires_grad]) for name, m in model.named_modules()]
    layers = [(name, ps) for name, ps in layers if ps]
    losses, norms, ratios, evals = [], [], [], []
    for step in range(n_steps):
        batch = data[step % len(data)]
        before = [torch.cat([p.detach().reshape(-1).double() for p in ps]) for _, ps in layers]
        seen: list[tuple[float, float]] = []

        def closure(batch=batch, seen=seen):
            model.zero_grad(set_to_none=True)
            value = _loss_of(batch)
            value.backward()
            grads = [p.grad.detach().double().norm() for p in params if p.grad is not None]
            seen.append((value.item(), torch.stack(grads).norm().item() if grads else 0.0))
            return value

        if closure_based:
            opt.step(closure)
        else:
            closure()
            opt.step()
        with torch.no_grad():
            per_layer = []
            for (_, ps), old in zip(layers, before, strict=True):
                new = torch.cat([p.detach().reshape(-1).double() for p in ps])
                if old.norm() > 0:
                    per_layer.append(((new - old).norm() / old.norm()).item())
        median = sorted(per_layer)[len(per_layer) // 2] if per_layer else math.nan
        losses.append(seen[0][0])
        norms.append(seen[0][1])
        ratios.append(median)
        evals.append(len(seen))
        if table:
            extra = f"  closure evals {len(seen)}" if closure_based else ""
            print(
                f"step {step:2d}  loss {seen[0][0]:11.5g}  grad norm {seen[0][1]:10.4g}"
                f"  median update ratio {median:9.3g}{extra}"
            )
    model.load_state_dict(_INITIAL)
    return {"loss": losses, "grad": norms, "ratio": ratios, "evals": evals}


def _summary(n_steps: int, r: dict) -> str:
    loss, grad, ratio = r["loss"], r["grad"], r["ratio"]
    top = max(range(n_steps), key=lambda i: loss[i])
    peak = max(range(n_steps), key=lambda i: grad[i])
    return (
        f"N={n_steps:2d}: loss start {loss[0]:.4g}  max {loss[top]:.4g} (step {top})  end {loss[-1]:.4g}"
        f"  min {min(loss):.4g}  | peak grad norm {grad[peak]:.3g} (step {peak})"
        f"  | median update ratio {min(ratio):.2g}..{max(ratio):.2g}"
    )


if __name__ == "__main__":
    import sys
    import time

    _INITIAL = {k: v.detach().clone() for k, v in model.state_dict().items()}
    counts = [int(a) for a in sys.argv[1:]] or [10, 20, 30, 40]
    runs = {}
    for n in counts:
        began, cpu = time.perf_counter(), time.process_time()
        runs[n] = _replay(n, table=n == max(counts))
        runs[n]["seconds"], runs[n]["cpu"] = time.perf_counter() - began, time.process_time() - cpu
    for n in counts:
        print(_summary(n, runs[n]) + f"  ({runs[n]['seconds']:.1f} s, cpu {runs[n]['cpu']:.1f} s)")


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
