"""Healthy Hugging Face-style model: dict batches, and the model returns an output with ``.loss``.

Each batch is a dict ``{"input_ids", "attention_mask", "labels"}`` rather than an
``(inputs, target)`` pair, and ``forward(input_ids, attention_mask=None, labels=None)`` returns
a ``CausalLMOutput`` dataclass whose ``.loss`` is set when labels are given. As in transformers'
causal LMs, ``labels`` is a copy of ``input_ids`` and the model shifts it internally. The runner
must call ``model(**batch)`` and read ``.loss``; no ``loss`` or ``compute_loss`` is supplied.
Sequences cycle through a fixed random permutation of 16 tokens, so the next token is a
function of the current one; a tiny embedding + MLP language model learns this with default
Adam and the loss falls from ~ln(16) within 20 steps.
"""

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, SEQ, DIM, BATCH = 16, 32, 64, 32


@dataclass
class CausalLMOutput:
    logits: torch.Tensor
    loss: torch.Tensor | None = None


class TinyCausalLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, DIM)
        self.mlp = nn.Sequential(nn.LayerNorm(DIM), nn.Linear(DIM, 2 * DIM), nn.GELU(), nn.Linear(2 * DIM, DIM))
        self.lm_head = nn.Linear(DIM, VOCAB)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> CausalLMOutput:
        h = self.embed_tokens(input_ids)
        logits = self.lm_head(h + self.mlp(h))
        loss = None
        if labels is not None:
            if attention_mask is not None:
                labels = labels.masked_fill(attention_mask == 0, -100)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), labels[:, 1:].reshape(-1), ignore_index=-100)
        return CausalLMOutput(logits=logits, loss=loss)


_perm = torch.randperm(VOCAB)


def _batch() -> dict[str, torch.Tensor]:
    seq = [torch.randint(0, VOCAB, (BATCH,))]
    while len(seq) < SEQ:
        seq.append(_perm[seq[-1]])
    ids = torch.stack(seq, dim=1)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}


model = TinyCausalLM()
data = [_batch() for _ in range(8)]

EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
