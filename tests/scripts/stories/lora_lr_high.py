"""A LoRA fine-tune at a learning rate far too high (issue 23, story 3), written for the tests.

A frozen base classifier (32 -> 128 -> 128 -> 8, GELU) whose three Linear layers each carry a
rank-4 LoRA adapter (A: kaiming-uniform as peft does, B: zeros, scaling alpha/r = 2), only the
adapters trained, by AdamW at lr 0.5 where LoRA is trained at 1e-4..1e-3. B starts at exactly
zero, so its update ratio is meaningless at first and A's gradient passes through it; the loss
jumps on the first steps, never gets back under its start, and the gradient bursts. At AdamW 1e-3
the same adapters take the loss steadily down. Running this file prints the per-step table.
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
LR = 0.5


def optimizer(params):
    return torch.optim.AdamW([p for p in params if p.requires_grad], lr=LR)


def _loss_of(batch):
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy", "frozen"], "recommend": ["learning_rate"]}
