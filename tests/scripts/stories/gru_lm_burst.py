"""A GRU language model trained with SGD lr=20 and no gradient clipping: unstable, its gradient burst
follows the overshoot.

Like pytorch/examples' word_language_model with a GRU (embedding 64, GRU 128 x 2 layers, linear
decoder; batch 20, bptt 35; uniform(-0.1, 0.1) init of the encoder and decoder) but WITHOUT its
clip_grad_norm_(0.25). Text: Python's own help text (stdlib pydoc_data/topics.py, always
installed), word-level, vocabulary = 999 most frequent tokens + <unk> (ln V = 6.91); 10
contiguous bptt windows of 20 parallel streams.

The burst: total gradient norm 0.40 (step 0), 1.04, 17.5 (step 2), 231 (step 3, ~570x step 0;
the GRU's own gradient is 231 of it, the decoder's 6.7); loss 6.92, 5.54, 20.0, 158, 367
(step 4, the loss peak, 53x). It never recovers: for steps 5-39 the loss stays 92-285 and the
gradient norm 6-6700 with repeated bursts (5528 at step 10, 6666 at step 16, 965 at step 20,
909 at step 33), never back near 0.4. Per layer over steps 5-39: encoder (embedding) 2.5-6550,
GRU 4.7-4910, decoder 2.6-6.7 (it was 0.33 at step 0).
  N=10: start 6.921, max 367 (step 4), end 161.4; peak grad norm 293 (step 5), first burst 231 (step 3)
  N=20: start 6.921, max 367 (step 4), end 167.6; peak grad norm 6666 (step 16)
  N=30: start 6.921, max 367 (step 4), end 150.8; peak grad norm 6666 (step 16)
  N=40: start 6.921, max 367 (step 4), end 145.3; peak grad norm 6666 (step 16)
Steps 0-4 are the same with 1 and 2 threads; after that the chaotic run depends on the thread
count (1 thread: peak 5.1e4 at step 7, end 188 at 40 steps), the story does not.

Not reproduced from the colleague's description: afterwards the GRU's gradients are NOT tiny
here (no saturation plateau); they keep bursting. Clipping is the fix the example uses:
clip_grad_norm_(0.25) gives max 16.7 (step 2), 11.1 at step 9, 6.46 at step 19, 5.23 at step 39;
clip 1.0: max 44, end 12.3; clip 5.0 barely helps (max 264). A 100x smaller lr (0.2) also
trains (6.92 -> 4.61).
Measured with torch 2.13 CPU, 2 threads.

First declared "exploding". An independent review (2026-12-02) of the same recipe (pytorch/examples'
GRU at lr 20 without clipping, holdout b17) found the steps too large before the burst: at step 0,
with a normal gradient, the update moves the weights by about a third of their norm and raises the
loss of its own batch, while the same gradient at lr 5 lowers it; clipping at 1-5 with lr 20 still
fails and clip 0.25 works only by capping every step. The learning rate is the cause: "unstable",
and a lower learning rate is the fix to find (no clip threshold is required).
"""

import collections
import importlib.util
import re
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, EMBED, HIDDEN, LAYERS, BATCH, BPTT, BATCHES = 1000, 64, 128, 2, 20, 35, 10

# Word-level text: Python's own help text (stdlib pydoc_data/topics.py, always installed), split
# into words, numbers and punctuation; the 999 most frequent tokens plus <unk> (4% of tokens).
_text = Path(importlib.util.find_spec("pydoc_data.topics").origin).read_text(encoding="utf-8")
_words = re.findall(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]", _text)
_vocab = ["<unk>"] + [w for w, _ in collections.Counter(_words).most_common(VOCAB - 1)]
_index = {w: i for i, w in enumerate(_vocab)}
_ids = torch.tensor([_index.get(w, 0) for w in _words])


class GRULanguageModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.GRU(EMBED, HIDDEN, LAYERS, batch_first=True)
        self.decoder = nn.Linear(HIDDEN, VOCAB)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)  # as in pytorch/examples word_language_model
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.encoder(tokens))
        return self.decoder(output)  # (batch, bptt, vocab) logits: gradscope's default cross-entropy


torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = GRULanguageModel()

# batchify: BATCH parallel streams of the text, cut into BPTT-long windows (no hidden-state carry-over)
_streams = _ids[: BATCH * (BATCHES * BPTT + 1)].view(BATCH, BATCHES * BPTT + 1)
data = [
    (_streams[:, k * BPTT : (k + 1) * BPTT], _streams[:, k * BPTT + 1 : (k + 1) * BPTT + 1]) for k in range(BATCHES)
]


def optimizer(params):
    return torch.optim.SGD(params, lr=20.0)  # the example's lr, without its clip_grad_norm_(0.25)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs).reshape(-1, VOCAB), target.reshape(-1))


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {
    "verdict": "unstable",
    "layers": {},
    "others": ["healthy", "exploding"],  # the GRU and the embedding may still be flagged by size
    "recommend": ["learning_rate"],
}
