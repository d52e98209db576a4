"""The LoRA fine-tune shared by lora_lr_high.py and lora_lr_low.py, written for the tests.

A frozen base classifier (32 -> 128 -> 128 -> 8, GELU) whose three Linear layers each carry a
rank-4 LoRA adapter (A: kaiming-uniform as peft does, B: zeros, scaling alpha/r = 2); only the
adapters are trained. Not a model script (no EXPECTED): the scripts build `model` and `data` from
it at import time and choose the learning rate.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

IN, WIDTH, CLASSES, RANK, ALPHA, BATCH, BATCHES = 32, 128, 8, 4, 8, 64, 4


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear) -> None:
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Linear(base.in_features, RANK, bias=False)
        self.lora_B = nn.Linear(RANK, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.lora_B(self.lora_A(x)) * (ALPHA / RANK)


torch.manual_seed(7)  # the weights do not depend on gradscope's --seed
model = nn.Sequential(
    LoRALinear(nn.Linear(IN, WIDTH)),
    nn.GELU(),
    LoRALinear(nn.Linear(WIDTH, WIDTH)),
    nn.GELU(),
    LoRALinear(nn.Linear(WIDTH, CLASSES)),
)
_gen = torch.Generator().manual_seed(8)
_teacher = torch.randn(IN, CLASSES, generator=_gen)
_x = torch.randn(BATCHES * BATCH, IN, generator=_gen)
data = list(zip(_x.split(BATCH), (_x @ _teacher).argmax(dim=1).split(BATCH), strict=True))


def optimizer_at(lr: float):
    """AdamW over the adapters only, at `lr`."""

    def optimizer(params):
        return torch.optim.AdamW([p for p in params if p.requires_grad], lr=lr)

    return optimizer


def loss_of(batch):
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)
