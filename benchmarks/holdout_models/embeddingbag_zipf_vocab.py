"""fastText-style sentiment model: nn.EmbeddingBag (30k-token vocabulary) + a linear layer.

Token ids follow a Zipf law, so each step only a few percent of embedding rows
receive any gradient (most rows of the table are exactly zero-grad every step);
that is normal for a lookup table. Inputs are (flat_ids, offsets) tuples, so the
model is called as model(ids, offsets). Labels: sign of the summed per-token
polarity of a fixed random lexicon (only the 400 most frequent words carry any).
Measured (seed 0, 20 steps): loss 0.693 -> 0.536
(first-5 mean 0.685, last-5 0.578); 66% of embedding rows never get a gradient in
20 steps; grad norms bag 0.012-0.054, fc 0.013-0.22; ||dW||/||W|| ~0.09; no NaN.
"""

from __future__ import annotations

import torch
from torch import nn

EXPECTED = {"verdict": "healthy", "layers": {"bag": "healthy"}, "others": ["healthy"]}

VOCAB, DIM = 30_000, 16


class BagClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, DIM, mode="mean")
        nn.init.uniform_(self.bag.weight, -1.0 / DIM, 1.0 / DIM)  # fastText-style small init
        self.fc = nn.Linear(DIM, 2)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.fc(self.bag(ids, offsets))


Batch = tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]


def _corpus(n_batches: int = 30, batch: int = 64) -> list[Batch]:
    g = torch.Generator().manual_seed(99)
    freq = 1.0 / (torch.arange(VOCAB, dtype=torch.float) + 20.0)
    polarity = torch.zeros(VOCAB)
    polarity[:400] = torch.randn(400, generator=g)  # only common words carry sentiment
    out = []
    for _ in range(n_batches):
        lengths = torch.randint(8, 40, (batch,), generator=g)
        ids = torch.multinomial(freq, int(lengths.sum()), replacement=True, generator=g)
        offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
        doc = torch.repeat_interleave(torch.arange(batch), lengths)
        score = torch.zeros(batch).index_add_(0, doc, polarity[ids])
        out.append(((ids, offsets), (score > 0).long()))
    return out


model = BagClassifier()
data = _corpus()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=3e-2)
