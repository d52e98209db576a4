"""A GPT-2-size language model (124M parameters) as a gradscope model script, for benchmarks/scale.py.

The transformers GPT-2 architecture from a config (no download): 12 layers x 768, 12 heads,
a 50304-token embedding tied to the output head, block 256; batches of 4 sequences. The text
is the byte values of Python's own standard-library sources (always installed), so the loss
has something real to learn. AdamW as nanoGPT's train.py sets it up: lr 6e-4, betas
(0.9, 0.95), weight decay 0.1 on the 2-D weights only.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable

import torch
from torch import nn
from transformers import GPT2Config, GPT2LMHeadModel

BLOCK, BATCH, VOCAB = 256, 4, 50304
STEPS = 20  # batches available: gradscope measures at most 20 steps by default

torch.manual_seed(0)
model = GPT2LMHeadModel(
    GPT2Config(vocab_size=VOCAB, n_positions=BLOCK, n_embd=768, n_layer=12, n_head=12, tie_word_embeddings=True)
)

_text = "".join(inspect.getsource(m) for m in (json.decoder, json.encoder, inspect)).encode()
_tokens = torch.tensor(list(_text), dtype=torch.long)
_starts = torch.randint(0, len(_tokens) - BLOCK - 1, (STEPS, BATCH), generator=torch.Generator().manual_seed(1))
data = [
    {"input_ids": (ids := torch.stack([_tokens[s : s + BLOCK] for s in starts.tolist()])), "labels": ids}
    for starts in _starts
]


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95))
