"""Learning rate too high for a tiny Hugging Face GPT-2: AdamW lr=0.3.

transformers.GPT2LMHeadModel built from a GPT2Config (2 layers, 64 wide, 2 heads, 32 positions,
no dropout; no download), on character-level text (stdlib pydoc_data/topics.py, 65 characters,
ln 65 = 4.17), 8 batches of 8 x 32; dict batches {"input_ids", "labels"} so gradscope calls
model(**batch) and reads output.loss.

The loss spikes 4.8x within two steps and stays above its start for 38 of the 39 later steps:
  4.016 6.660 19.18 16.65 10.55 9.79 9.46 9.64 9.44 8.02 | 9.70 7.81 10.07 7.38 8.13 6.69 7.97
  4.44 5.72 4.84 | 6.03 5.93 8.93 8.07 8.31 6.52 6.35 6.03 7.53 8.91 | 9.56 7.09 7.22 5.68 5.01
  4.75 5.02 3.72 4.73 4.66   (only step 37 is below the start)
  N=10: start 4.016, max 19.18 (step 2), end 8.02
  N=20: start 4.016, max 19.18 (step 2), end 4.84
  N=30: start 4.016, max 19.18 (step 2), end 8.91
  N=40: start 4.016, max 19.18 (step 2), end 4.66 (min 3.72, step 37)
Gradient norm 3.8 at step 0, 12.4 at step 2, 3.2-16.8 afterwards (16.8 at step 28): finite,
never exploding. Median update ratio 15 at step 0, 0.006-0.68 later. At lr=0.03 the same run
falls to 2.46 at 40 steps (at lr=0.003 to 2.07) with no spike.
With one thread the figures after step 3 differ (ends 5.53, above the start at every step).
Measured with torch 2.13 CPU, 2 threads.
"""

import collections
import importlib.util
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

BLOCK, BATCH, BATCHES = 32, 8, 8

# Character-level text: the start of the stdlib's pydoc_data/topics.py, its 65 most frequent characters.
_text = Path(importlib.util.find_spec("pydoc_data.topics").origin).read_text(encoding="utf-8")[:200_000]
_chars = sorted(c for c, _ in collections.Counter(_text).most_common(65))
_index = {c: i for i, c in enumerate(_chars)}
_ids = torch.tensor([_index[c] for c in _text if c in _index])

_config = GPT2Config(
    vocab_size=len(_chars),
    n_positions=BLOCK,
    n_embd=64,
    n_layer=2,
    n_head=2,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    bos_token_id=0,  # GPT-2's default 50256 lies outside this vocabulary
    eos_token_id=0,
)
torch.manual_seed(1)  # the weights do not depend on gradscope's --seed
model = GPT2LMHeadModel(_config)  # built from the config: no download

_gen = torch.Generator().manual_seed(2)
data = []
for _ in range(BATCHES):
    _starts = torch.randint(len(_ids) - BLOCK, (BATCH,), generator=_gen).tolist()
    _x = torch.stack([_ids[s : s + BLOCK] for s in _starts])
    data.append({"input_ids": _x, "labels": _x})  # Hugging Face style: model(**batch).loss


def optimizer(params):
    return torch.optim.AdamW(params, lr=0.3)


def _loss_of(batch):
    return model(**batch).loss


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"]}
