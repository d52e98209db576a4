"""pytorch/examples word_language_model LSTM whose embedding was left out of the optimizer -- not_optimized.

Model: real public code, `RNNModel("LSTM", ntoken 16, ninp 32, nhid 64, nlayers 1, dropout 0)` from
pytorch/examples word_language_model/model.py (imported from the fetched mirror), 26.6k params; loss = NLL of
its log-softmax output, hidden state from `init_hidden`, time-major batches as its main.py uses. Data: 8
batches of 32 x 16 tokens from a fixed peaked Markov chain (seed 1), targets = next tokens. The bug: the
optimizer is built from hand-written parameter groups (to put weight decay on the decoder only) listing
`model.rnn` and `model.decoder` and forgetting `model.encoder`: Adam(lr=3e-3).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_4/c16_wlm_lstm_embedding_not_in_optimizer.py
(two runs give byte-identical output). Measured, median-layer = median over layers of the per-step
update ratio ||W_after - W_before|| / ||W_before||:
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     2.77 / 2.77 (0) / 2.44 / 2.44         0.307..0.683      0.0302..0.0414
  20     2.77 / 2.77 (0) / 2.27 / 2.38         0.307..0.714      0.0217..0.0414
  30     2.77 / 2.77 (0) / 2.22 / 2.22         0.307..1.28       0.0117..0.0414
  40     2.77 / 2.77 (0) / 2.18 / 2.18         0.307..2.05       0.00902..0.0414
  per layer (median over 40 steps): encoder grad 0.73, update ratio exactly 0 on every step;
  rnn grad 0.064, ratio 0.022; decoder grad 0.24, ratio 0.022

Why: `encoder` (the nn.Embedding) receives a gradient on every step but never changes (update exactly 0) --
"not_optimized". The rest of the model trains normally, so the run is otherwise healthy: the loss falls
2.77 -> 2.44 -> 2.2 (wiggles <= 0.15), the LSTM and decoder move ~2% per step, gradients finite. The total
gradient norm rises 0.3 -> 2.05 over the run, all of it the embedding's gradient (steps 0/9/19/29/39:
0.016/0.40/0.67/1.26/2.04) growing because the LSTM's input weights grow to use the small fixed embedding
and the model wants to change it but cannot; the LSTM's and decoder's gradients fall meanwhile
(rnn 0.11/0.41/0.063/0.045/0.031, decoder 0.31/0.37/0.23/0.20/0.13). It is a symptom of this bug, not an
explosion: nothing about the lr or init is wrong. Fix measured: adding model.encoder to the groups
gives loss 2.77 -> 2.01 and
total grad norm 0.11-0.53.
"""

import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import load_module

_wlm = load_module("pytorch/examples", "word_language_model/model.py")

VOCAB, LEN, BATCH, N_BATCHES = 16, 32, 16, 8


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    # the teacher: a fixed first-order Markov chain with peaked rows; batches are time-major
    # (seq, batch) as word_language_model's main.py feeds them, targets the next tokens
    g = torch.Generator().manual_seed(1)
    trans = torch.softmax(3.0 * torch.randn(VOCAB, VOCAB, generator=g), dim=1)
    out = []
    for _ in range(N_BATCHES):
        seq = torch.empty(LEN + 1, BATCH, dtype=torch.long)
        seq[0] = torch.randint(0, VOCAB, (BATCH,), generator=g)
        for t in range(1, LEN + 1):
            seq[t] = torch.multinomial(trans[seq[t - 1]], 1, generator=g).squeeze(1)
        out.append((seq[:-1], seq[1:].reshape(-1)))
    return out


data = _batches()

torch.manual_seed(0)
model = _wlm.RNNModel("LSTM", VOCAB, 32, 64, 1, dropout=0.0)


def compute_loss(model, batch):
    x, y = batch
    out, _ = model(x, model.init_hidden(x.shape[1]))
    return F.nll_loss(out, y)


def optimizer(params):  # noqa: ARG001 -- the groups are built from the model, as the bug requires
    # the bug: parameter groups built by hand (weight decay on the decoder only) and the
    # embedding (`encoder`) forgotten -- it gets gradients but the optimizer never updates it
    return torch.optim.Adam(
        [
            {"params": model.rnn.parameters()},
            {"params": model.decoder.parameters(), "weight_decay": 1e-4},
        ],
        lr=3e-3,
    )


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
    "layers": {"encoder": "not_optimized"},
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
