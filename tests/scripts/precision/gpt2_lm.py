"""A transformers GPT-2 (2 layers x 128) fine-tuned on a fixed Markov-chain token set.

DTYPE and LR are set by the test that copies this script: bfloat16 at AdamW 1e-5 loses most
updates to rounding (verdict precision); float32 at the same rate is healthy.
"""

import torch
from transformers import GPT2Config, GPT2LMHeadModel

DTYPE, LR = torch.bfloat16, 1e-5
VOCAB, LEN, BATCH = 256, 32, 8

g = torch.Generator().manual_seed(0)
trans = torch.softmax(4.0 * torch.randn(VOCAB, VOCAB, generator=g), dim=1)
data = []
for _ in range(2):
    seq = torch.empty(BATCH, LEN, dtype=torch.long)
    seq[:, 0] = torch.randint(0, VOCAB, (BATCH,), generator=g)
    for t in range(1, LEN):
        seq[:, t] = torch.multinomial(trans[seq[:, t - 1]], 1, generator=g).squeeze(1)
    data.append({"input_ids": seq, "labels": seq})

torch.manual_seed(0)
config = GPT2Config(vocab_size=VOCAB, n_positions=LEN, n_embd=128, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0)
model = GPT2LMHeadModel(config).to(DTYPE)


def optimizer(params):
    return torch.optim.AdamW(params, lr=LR)
