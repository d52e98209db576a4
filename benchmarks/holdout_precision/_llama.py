"""The Markov-chain token data and tiny Llama shared by p01, p02 and p03.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

VOCAB, LEN, BATCH, N_BATCHES = 128, 32, 16, 2


def markov_batches() -> list[dict[str, torch.Tensor]]:
    # the fine-tuning set: two fixed batches sampled from a first-order Markov chain with peaked rows
    g = torch.Generator().manual_seed(0)
    trans = torch.softmax(6.0 * torch.randn(VOCAB, VOCAB, generator=g), dim=1)
    out = []
    for _ in range(N_BATCHES):
        seq = torch.empty(BATCH, LEN, dtype=torch.long)
        seq[:, 0] = torch.randint(0, VOCAB, (BATCH,), generator=g)
        for t in range(1, LEN):
            seq[:, t] = torch.multinomial(trans[seq[:, t - 1]], 1, generator=g).squeeze(1)
        out.append({"input_ids": seq, "labels": seq})  # the model shifts the labels itself
    return out


def llama() -> LlamaForCausalLM:
    """Tiny Llama causal LM (vocab 128, hidden 256, 2 layers, 4 heads / 2 kv heads, untied head); seed first."""
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=VOCAB, hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=LEN, tie_word_embeddings=False,
        )
    )  # fmt: skip
