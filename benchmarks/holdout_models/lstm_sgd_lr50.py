"""Character-level-style LSTM next-token model trained with SGD at lr 50.

Someone copied "lr=20" from the old word-language-model example, bumped it to
50, and dropped the gradient clipping that made that recipe work. Vocabulary
of 16 tokens; sequences follow a noisy fixed transition table, so the task is
learnable. The loss is computed over every position via `compute_loss`.
Measured (seed 0, 20 steps): loss 2.78, 3.00, 2.85, then
17 -> 52 -> 40-75 (last-5 mean 55; chance 2.77). Total grad norm was only 0.07,
0.28, 1.1 over steps 1-3, yet step 3 changed the LSTM weights by 2.4x their norm
(||dW||/||W||); the loss blew up on the next step. Afterwards grads are finite but
erratic: median ~7, intermittent spikes 50-410 (seeds 1-2: up to 3.2e3), no
steady growth. Verdict "unstable": the step size, not the gradient, drove it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy", "exploding", "vanishing"]}

VOCAB = 16


class TokenLSTM(nn.Module):
    def __init__(self, emb: int = 24, hidden: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(hidden, VOCAB)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(tokens))
        return self.decoder(out)


def _sequences(n_batches: int = 25, batch: int = 32, length: int = 20) -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(50)
    successor = torch.randperm(VOCAB, generator=g)
    batches = []
    for _ in range(n_batches):
        seq = torch.empty(batch, length + 1, dtype=torch.long)
        seq[:, 0] = torch.randint(0, VOCAB, (batch,), generator=g)
        for t in range(length):
            noise = torch.randint(0, VOCAB, (batch,), generator=g)
            keep = torch.rand(batch, generator=g) < 0.8
            seq[:, t + 1] = torch.where(keep, successor[seq[:, t]], noise)
        batches.append((seq[:, :-1], seq[:, 1:]))
    return batches


def compute_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    tokens, targets = batch
    logits = model(tokens)
    return F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))


model = TokenLSTM()
data = _sequences()


def optimizer(params: object) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=50.0)
