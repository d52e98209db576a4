"""Healthy nanoGPT-style model: ``model(idx, targets)`` returns ``(logits, loss)``.

A miniature GPT (two pre-LayerNorm blocks with causal scaled_dot_product_attention and a GELU
MLP) learns sequences that cycle through a fixed random permutation of 16 tokens. Like nanoGPT
it computes its own cross-entropy when given targets, so ``compute_loss`` calls ``model(x, y)``
and takes the loss from the tuple. With default Adam the loss falls from ~ln(16) = 2.8 to well
below 1 within 20 steps, with sound gradients in every layer.
"""

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, BLOCK, DIM, HEADS, BATCH = 16, 24, 64, 4, 32


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.c_attn, self.c_proj = nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in self.c_attn(self.ln_1(x)).split(c, 2))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(att)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, DIM), nn.Embedding(BLOCK, DIM)
        self.h = nn.ModuleList(Block() for _ in range(2))
        self.ln_f = nn.LayerNorm(DIM)
        self.lm_head = nn.Linear(DIM, VOCAB, bias=False)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None if targets is None else F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        return logits, loss


_perm = torch.randperm(VOCAB)


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    s = torch.randint(0, VOCAB, (BATCH, 1))
    while s.shape[1] <= BLOCK:
        s = torch.cat([s, _perm[s[:, -1:]]], dim=1)
    return s[:, :-1], s[:, 1:]


model = GPT()
data = [_batch() for _ in range(8)]


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    _, loss = model(*batch)
    return loss


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
