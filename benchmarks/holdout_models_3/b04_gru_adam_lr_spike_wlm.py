"""Adam at lr 0.1 on the pytorch/examples word-language-model GRU: early loss spike, then recovery -- unstable.

Model: real public code, `RNNModel("GRU", ntoken=500, ninp=64, nhid=64, nlayers=2, dropout=0.0)`
imported at run time from pytorch/examples word_language_model/model.py (fetched mirror, extracted
by benchmarks/external.py). Data: the WikiText-2 validation text shipped in that checkout
(word_language_model/data/wikitext-2/valid.txt), words outside the 499 most frequent mapped to
<unk>, batchified like the example (16 columns), 10 BPTT windows of 20 tokens. `compute_loss` runs
the model from a fresh zero hidden state (`model.init_hidden`) and takes the NLL of its log-softmax
output, as the example's train() does. Optimizer: Adam(lr=0.1), 100x the usual 1e-3.

Why "unstable": the loss starts at 6.20 = ln 500 (a uniform guess), dips to 4.43 at step 1, then
jumps to 9.69 at step 3 -- 3.5 nats above a uniform guess, 2.2x the step-1 value -- and is back
under the start by step 5; afterwards it trains (4.89 at step 9, 3.65 at step 39). The
gradient norm rises 11x around the spike (0.49 -> 5.37): one order of magnitude, not several, and
everything stays finite, so I call it a learning-rate problem (fix: lower lr). Judgement call: a tool
that reads the single 11x burst as "exploding" is not absurd; "exploding" is allowed for layers.

Plain loop: `python benchmarks/holdout_models_3/b04_gru_adam_lr_spike_wlm.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm    update ratio, median layer  (all layers)
     10  6.2 / 9.69 (step 3) / 4.43 / 4.89     0.487..5.37  0.109..1.37                 (0.0922..1.74)
     20  6.2 / 9.69 (step 3) / 4.32 / 4.5      0.487..5.37  0.0473..1.37                (0.0411..1.74)
     30  6.2 / 9.69 (step 3) / 3.9 / 3.9       0.473..5.37  0.0305..1.37                (0.0202..1.74)
     40  6.2 / 9.69 (step 3) / 3.63 / 3.65     0.373..5.37  0.0232..1.37                (0.0142..1.74)
"""

import collections
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout, load_module

VOCAB, BSZ, BPTT = 500, 16, 20

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
    return torch.optim.Adam(params, lr=0.1)


EXPECTED = {
    "verdict": "unstable",
    "others": ["healthy", "exploding", "vanishing"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
