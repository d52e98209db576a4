"""Healthy control for spike_adam_mlp.py: the same 3-layer ReLU MLP, data and seed at Adam lr=1e-3.

The loss falls steadily from 1.416 (chance is ln 4 = 1.386) with small batch-to-batch wiggles:
  N=10: start 1.416, max 1.416 (step 0), end 1.332
  N=20: end 1.265;  N=30: end 1.197 (min 1.190);  N=40: end 1.041
The total gradient norm stays 0.26-0.59 (it creeps up from 0.34 as the logits grow: step 39
has the largest, 0.586), the median update ratio is 0.008-0.014 at every step. Only the
learning rate differs from the spiking script, so a rule cannot key on the architecture.

Measured with torch 2.13 CPU.
"""

import torch
from torch import nn
from torch.nn import functional as F

IN, WIDTH, CLASSES, BATCH, BATCHES = 20, 64, 4, 64, 4

torch.manual_seed(3)  # the weights do not depend on gradscope's --seed
model = nn.Sequential(nn.Linear(IN, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, CLASSES))

_gen = torch.Generator().manual_seed(4)
_teacher = torch.randn(IN, CLASSES, generator=_gen)
_x = torch.randn(BATCHES * BATCH, IN, generator=_gen)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


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
