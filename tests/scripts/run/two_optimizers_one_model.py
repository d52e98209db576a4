"""One model, two optimizers, one backward: SGD for the embedding (as with a sparse or
separately tuned embedding table) and Adam for the rest, both stepped after each backward."""

import torch
from torch import nn
from torch.nn import functional as F


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 16)
        self.hidden = nn.Linear(16, 32)
        self.out = nn.Linear(32, 5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(self.embedding(tokens).mean(1))))


torch.manual_seed(0)
model = Tagger()
embedding_opt = torch.optim.SGD(model.embedding.parameters(), lr=0.5)
dense_opt = torch.optim.Adam([*model.hidden.parameters(), *model.out.parameters()], lr=1e-2)
tokens = torch.randint(0, 50, (400, 6))
labels = tokens[:, 0] % 5
for _epoch in range(100):
    for x, y in zip(tokens.split(40), labels.split(40), strict=True):
        embedding_opt.zero_grad()
        dense_opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        embedding_opt.step()
        dense_opt.step()
