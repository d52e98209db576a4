"""The GPT model and character data shared by gpt_healthy.py and gpt_lr01.py.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import collections
import importlib.util
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

BLOCK, BATCH, BATCHES, LAYERS, WIDTH, HEADS = 32, 8, 40, 4, 128, 4

# Character-level text: the start of the stdlib's pydoc_data/topics.py (Python's own help text,
# always installed), restricted to its 65 most frequent characters.
_text = Path(importlib.util.find_spec("pydoc_data.topics").origin).read_text(encoding="utf-8")[:200_000]
CHARS = sorted(c for c, _ in collections.Counter(_text).most_common(65))
VOCAB = len(CHARS)
_index = {c: i for i, c in enumerate(CHARS)}
IDS = torch.tensor([_index[c] for c in _text if c in _index])


class Block(nn.Module):
    """Pre-LN transformer block: causal self-attention and a GELU MLP, each on a residual."""

    def __init__(self) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.c_attn = nn.Linear(WIDTH, 3 * WIDTH)
        self.attn_proj = nn.Linear(WIDTH, WIDTH)
        self.ln_2 = nn.LayerNorm(WIDTH)
        self.c_fc = nn.Linear(WIDTH, 4 * WIDTH)
        self.mlp_proj = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(WIDTH, dim=2)
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    """nanoGPT-style: token + position embeddings, pre-LN blocks, final LN, head tied to wte."""

    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, WIDTH)
        self.wpe = nn.Embedding(BLOCK, WIDTH)
        self.h = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(WIDTH)
        self.lm_head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        for name, p in self.named_parameters():
            if p.dim() >= 2:  # nanoGPT init: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers)
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * LAYERS) if name.endswith("proj.weight") else 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def char_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """BATCHES (inputs, next-character targets) pairs of BATCH x BLOCK, drawn with generator seed 1."""
    gen = torch.Generator().manual_seed(1)
    data = []
    for _ in range(BATCHES):
        starts = torch.randint(len(IDS) - BLOCK - 1, (BATCH,), generator=gen).tolist()
        inputs = torch.stack([IDS[s : s + BLOCK] for s in starts])
        data.append((inputs, torch.stack([IDS[s + 1 : s + BLOCK + 1] for s in starts])))
    return data
