"""The Markov-chain token data and tiny GPT-NeoX shared by c06 and c15.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

VOCAB, LEN, BATCH, N_BATCHES = 16, 32, 16, 8


def markov_batches() -> list[dict[str, torch.Tensor]]:
    # the teacher: a fixed first-order Markov chain whose rows are peaked (low-entropy next token)
    g = torch.Generator().manual_seed(0)
    trans = torch.softmax(3.0 * torch.randn(VOCAB, VOCAB, generator=g), dim=1)
    out = []
    for _ in range(N_BATCHES):
        seq = torch.empty(BATCH, LEN, dtype=torch.long)
        seq[:, 0] = torch.randint(0, VOCAB, (BATCH,), generator=g)
        for t in range(1, LEN):
            seq[:, t] = torch.multinomial(trans[seq[:, t - 1]], 1, generator=g).squeeze(1)
        out.append({"input_ids": seq, "labels": seq})  # the model shifts the labels itself
    return out


def gptneox() -> GPTNeoXForCausalLM:
    """The tiny GPT-NeoX causal LM (vocab 16, hidden 32, 2 layers, 4 heads, no dropout); seed torch first."""
    return GPTNeoXForCausalLM(
        GPTNeoXConfig(
            vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=LEN, hidden_dropout=0.0, attention_dropout=0.0, rotary_pct=0.5,
        )
    )  # fmt: skip
