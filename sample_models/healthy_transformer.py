"""Healthy baseline: a tiny pre-LN transformer language model on a deterministic sequence.

Sequences follow x[t+1] = PERM[x[t]] for a fixed random permutation of the 16 tokens, from a
random first token, so the next token is a deterministic function of the current one. A causal
two-layer ``nn.TransformerEncoderLayer`` stack (batch_first, pre-LayerNorm, no dropout) trained
with AdamW lr 1e-3 picks the pattern up quickly: the loss falls from about ln(16) = 2.77 to well
under 1 within 20 steps. Embeddings, attention, feed-forward and LayerNorm layers all get sound
gradients. Note that ``blocks.N.self_attn`` (MultiheadAttention) owns ``in_proj_weight``
directly and also has a child layer, ``blocks.N.self_attn.out_proj``. ``compute_loss``
flattens the (batch, time, vocab) logits for cross-entropy.
"""

from collections.abc import Iterable, Iterator

import torch
from torch import nn
from torch.nn import functional as F

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}

VOCAB, SEQ, DIM, BATCH = 16, 24, 64, 32


class TinyLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Embedding(SEQ, DIM)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(DIM, 4, 4 * DIM, dropout=0.0, batch_first=True, norm_first=True)
            for _ in range(2)
        )
        self.norm = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        mask = nn.Transformer.generate_square_subsequent_mask(idx.shape[1])
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.norm(h))


_PERM = torch.randperm(VOCAB)


def _sequences(n: int) -> torch.Tensor:
    seq = [torch.randint(0, VOCAB, (n,))]
    while len(seq) < SEQ + 1:
        seq.append(_PERM[seq[-1]])
    return torch.stack(seq, dim=1)


def data() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    for _ in range(10):
        s = _sequences(BATCH)
        yield s[:, :-1], s[:, 1:]


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))


def optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-3)


model = TinyLM()
