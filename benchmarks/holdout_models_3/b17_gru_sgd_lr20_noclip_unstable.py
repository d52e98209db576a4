"""pytorch/examples word-language-model GRU, SGD lr=20 without its gradient clipping -- unstable (relabelled, below).

Model: real public code, `RNNModel("GRU", ntoken=1000, ninp=64, nhid=64, nlayers=2, dropout=0.0)`
from pytorch/examples word_language_model/model.py (imported at run time via benchmarks/external.py).
Data: WikiText-2 validation text from that checkout, words outside the 999 most frequent mapped to
<unk>, batchified like the example (batch 20, the default), 10 BPTT windows of 35 tokens (the
default bptt). `compute_loss` runs from a zero hidden state and takes the NLL of the log-softmax
output, like the example's train(). Optimizer: plain SGD(lr=20) -- main.py's default lr, which that
script only survives because it calls `clip_grad_norm_(model.parameters(), 0.25)` (--clip) before
every update; here the clipping is left out.

Why "exploding": the total gradient norm bursts from 0.40 at step 0 to 7.2 at step 1 and 253 at
step 2 (630x, nearly three orders of magnitude), and keeps bursting to 1e2-1e3 every few steps
(1.4e3 at step 30), with the embedding (the input end) getting the largest gradients; the loss
jumps from 6.89 (ln 1000) to 222 at step 3 and never comes back (181 at step 9, 25 at step 39). The
fix the example itself uses is gradient-norm clipping (a lower lr also works). All values stay
finite for 40 steps. (With 2 threads the chaotic later steps differ in detail, same picture.)

Relabelled "unstable" (was "exploding") after an independent review that had not read the rules
(2026-12-02), asked why this model and holdout_models/lstm_sgd_lr50.py (labelled "unstable") were
labelled differently. Its measurements, in plain PyTorch: the two runs are the same failure. At
step 0, with a normal gradient (0.40), the step moves the weights by 0.31 of their norm and raises
the loss on its own batch (6.89 -> 8.20); the same gradient at lr 5 lowers it (-> 6.01). The burst
comes after the overshoot, from weights that have already grown (26 -> 5000) and over-confident
outputs: with the sequence cut to length 1 (no backprop through time) the gradient still grows
125x by step 2. Fixes over 30 steps (loss start / mean of the last 5): clip 1.0 at lr 20 6.89 / 7.0
(spikes to 37), clip 5.0 6.89 / 42.1 (fails), clip 0.25 6.89 / 6.79 (clips every step: a hidden
step-size cap), lr 1 without clipping 6.89 / 4.67 (clean). The learning rate is the cause.

Plain loop: `python benchmarks/holdout_models_3/b17_gru_sgd_lr20_noclip_unstable.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm        update ratio, median layer  (all layers)
     10  6.89 / 222 (step 3) / 6.89 / 181      0.404..253       0.0349..11.4                (0.000207..40.9)
     20  6.89 / 222 (step 3) / 6.89 / 45.8     0.404..253       0.0166..11.4                (0.000207..40.9)
     30  6.89 / 222 (step 3) / 6.89 / 43.8     0.404..253       0.0166..11.4                (0.000207..40.9)
     40  6.89 / 222 (step 3) / 6.89 / 24.8     0.404..1.36e+03  0.00559..11.4               (0.000207..40.9)
"""

import collections
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout, load_module

VOCAB, BSZ, BPTT = 1000, 20, 35

_wlm = load_module("pytorch/examples", "word_language_model/model.py")
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/valid.txt")


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    words: list[str] = []
    with (_root / "word_language_model/data/wikitext-2/valid.txt").open(encoding="utf8") as f:
        for line in f:
            words += [*line.split(), "<eos>"]
    common = [w for w, _ in collections.Counter(words).most_common(VOCAB - 1)]
    index = {w: i for i, w in enumerate(common)}
    ids = torch.tensor([index.get(w, VOCAB - 1) for w in words])
    ids = ids[: (len(ids) // BSZ) * BSZ].view(BSZ, -1).t().contiguous()  # like batchify(): (L, BSZ)
    return [(ids[i * BPTT : (i + 1) * BPTT], ids[i * BPTT + 1 : (i + 1) * BPTT + 1]) for i in range(10)]


data = _batches()

torch.manual_seed(0)
model = _wlm.RNNModel("GRU", VOCAB, 64, 64, 2, dropout=0.0)


def compute_loss(model, batch):
    x, y = batch
    log_probs, _ = model(x, model.init_hidden(x.size(1)))
    return F.nll_loss(log_probs, y.reshape(-1))


def optimizer(params):
    return torch.optim.SGD(params, lr=20.0)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding", "vanishing", "dead"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
