"""Vanishing gradients down to float32 underflow: layer "0" gets a gradient of exact zeros.

A 20-layer sigmoid MLP (16 wide, Linear "0", "2", ..., "38", Sigmoid between) whose weights are
initialised N(0, 0.0045^2) with zero biases: far too small. Every pre-activation sits near 0, each
sigmoid passes 0.25 of the gradient and each 16-wide layer multiplies it by ~0.0045 * 4, so the
backward signal shrinks ~200x per layer. Trained with SGD lr=0.1 on a 4-class task.

Per-layer weight-gradient norms at step 0 (float64 norms of the float32 gradients; a float32
norm itself underflows to 0 below ~1e-22):
  38: 0.132, 36: 5.5e-4, 34: 1.7e-6, 32: 7.4e-9, 30: 3.3e-11, 28: 1.8e-13, 26: 8.5e-16,
  24: 3.1e-18, 22: 1.6e-20, 20: 8.6e-23, 18: 3.9e-25, 16: 1.8e-27, 14: 7.2e-30, 12: 2.8e-32,
  10: 9.3e-35, 8: 4.2e-37, 6: 1.6e-39, 4: 7.4e-42 (subnormal), 2: 1.3e-43 (237 of 256 entries
  non-zero), 0: exactly 0 (0 of 256 entries, bias too)
Layer "0" is in the forward pass and its .grad is a tensor, not None: the backward signal
reaching it is below float32's smallest subnormal (1.4e-45) and rounds to zero. It stays exactly
zero at every one of 40 steps (layer "2" keeps 214-256 non-zero entries). The loss barely moves
(1.386 -> 1.345 in 40 steps, from the top layers); the median update ratio over the 20 layers is
~1e-22. Running this file prints the per-layer table and the per-step zero count.

Colleague's trend "1e-21, 1e-20, ..." above layer 0 is what float32 norms show; the float64 trend
is above. Measured with torch 2.13 CPU (2 and 1 threads give identical figures).
"""

import torch
from torch import nn
from torch.nn import functional as F

DEPTH, IN, WIDTH, CLASSES, BATCH, BATCHES, STD = 20, 16, 16, 4, 64, 4, 0.0045

torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
_layers: list[nn.Module] = []
for _i in range(DEPTH):
    _linear = nn.Linear(IN if _i == 0 else WIDTH, CLASSES if _i == DEPTH - 1 else WIDTH)
    nn.init.normal_(_linear.weight, 0.0, STD)  # the bug: far too small for a 16-wide sigmoid layer
    nn.init.zeros_(_linear.bias)
    _layers.append(_linear)
    if _i < DEPTH - 1:
        _layers.append(nn.Sigmoid())
model = nn.Sequential(*_layers)  # Linear layers are named "0", "2", ..., "38"

_gen = torch.Generator().manual_seed(1)
_x = torch.randn(BATCHES * BATCH, IN, generator=_gen)
_teacher = torch.randn(IN, CLASSES, generator=_gen)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    # Per-layer proof on the first batch at the import-time weights: float64 norms of the float32
    # gradients (a float32 norm would itself underflow to 0 below ~1e-22), and how many entries are
    # non-zero. Layer "0" is in the forward pass, its .grad exists, and every entry is exactly 0.
    model.zero_grad(set_to_none=True)
    _loss_of(data[0]).backward()
    for _name, _module in model.named_children():
        if isinstance(_module, nn.Linear):
            _g = _module.weight.grad
            print(
                f"layer {_name:>2}: weight grad is None: {_g is None};"
                f" float64 norm {_g.double().norm().item():.3g};"
                f" non-zero entries {int((_g != 0).sum())}/{_g.numel()};"
                f" bias grad non-zero {int((_module.bias.grad != 0).sum())}"
            )
    # Over a 40-step SGD run (gradscope's loop), layer "0" never receives a single non-zero entry.
    _start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    _opt = optimizer(model.parameters())
    _nonzero = []
    for _step in range(40):
        model.zero_grad(set_to_none=True)
        _loss_of(data[_step % len(data)]).backward()
        _nonzero.append(int((model[0].weight.grad != 0).sum()) + int((model[0].bias.grad != 0).sum()))
        _opt.step()
    model.load_state_dict(_start)
    print(f"layer 0 non-zero gradient entries per step over 40 steps: {_nonzero}")


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {
    "verdict": "vanishing",
    "layers": {"0": "vanishing"},  # exact zeros, yet in the forward pass: not unused
    "others": ["healthy", "vanishing"],
}
