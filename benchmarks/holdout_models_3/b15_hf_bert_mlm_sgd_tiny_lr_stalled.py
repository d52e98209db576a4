"""Tiny Hugging Face BERT masked-LM trained with plain SGD at an Adam-sized lr (2e-5) -- stalled.

Model: real public code, `transformers.BertForMaskedLM(BertConfig(vocab_size=1000, hidden_size=64,
num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, dropouts 0))` built from a
config (no download). Data: WikiText-2 validation words from the pytorch/examples checkout (ids
3..999 = the 997 most frequent words, 2 = <unk>, 1 = [MASK]), 8 random batches of 16 x 32 tokens,
15% of the positions replaced by [MASK] and scored (other labels -100); dict batches, loss =
`output.loss`. Optimizer: SGD(lr=2e-5) -- the usual BERT fine-tuning learning rate, which is meant
for Adam(W); with plain SGD it is several orders of magnitude too small.

Why "stalled": the median layer's update ratio ||dW||/||W|| is 3e-7..6e-7 per step (the largest,
~1e-4, on the token-type embedding; the zero-initialised MLM output bias aside), the weights do not
move, and the loss stays at 6.85-6.91 = ln 1000 (a uniform guess) for all 40 steps -- batch-to-batch
noise only, the same 8 values repeating. The same model and data with AdamW(lr=1e-3) fall from 6.91
to 5.9 in 10 steps and 4.3 in 40, so the learning rate (or the optimizer) is the problem.

Plain loop: `python benchmarks/holdout_models_3/b15_hf_bert_mlm_sgd_tiny_lr_stalled.py`
(1 CPU thread, OMP_NUM_THREADS=1; two runs give identical numbers; it also prints per-layer medians
and the loss / grad norm of every step):
  steps  loss start / max (step) / min / end   grad norm  update ratio, median layer  (all layers)
     10  6.91 / 6.91 (step 5) / 6.86 / 6.87    3.1..4.23  3.38e-07..6.21e-07          (7.17e-10..1.44)
     20  6.91 / 6.91 (step 5) / 6.86 / 6.86    3.1..4.23  3.38e-07..6.21e-07          (7.16e-10..1.44)
     30  6.91 / 6.91 (step 5) / 6.86 / 6.91    3.1..4.23  3.38e-07..6.21e-07          (6.9e-10..1.44)
     40  6.91 / 6.91 (step 5) / 6.85 / 6.9     3.1..4.23  3.38e-07..6.21e-07          (6.9e-10..1.44)
"""

import collections
import sys
import warnings
from pathlib import Path

import torch

warnings.filterwarnings("ignore")
from transformers import BertConfig, BertForMaskedLM  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from external import checkout  # noqa: E402

VOCAB, SEQ, BATCH = 1000, 32, 16
PAD, MASK, UNK = 0, 1, 2
_root = checkout("pytorch/examples", "word_language_model/data/wikitext-2/valid.txt")


def _batches() -> list[dict[str, torch.Tensor]]:
    words: list[str] = []
    with (_root / "word_language_model/data/wikitext-2/valid.txt").open(encoding="utf8") as f:
        for line in f:
            words += [*line.split(), "<eos>"]
    common = [w for w, _ in collections.Counter(words).most_common(VOCAB - 3)]
    index = {w: i + 3 for i, w in enumerate(common)}
    ids = torch.tensor([index.get(w, UNK) for w in words])
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(8):
        ix = torch.randint(0, len(ids) - SEQ, (BATCH,), generator=g)
        x = torch.stack([ids[i : i + SEQ] for i in ix])
        masked = torch.rand(BATCH, SEQ, generator=g) < 0.15
        out.append({
            "input_ids": torch.where(masked, torch.full_like(x, MASK), x),
            "attention_mask": torch.ones_like(x),
            "labels": torch.where(masked, x, torch.full_like(x, -100)),
        })  # fmt: skip
    return out


data = _batches()

torch.manual_seed(0)
model = BertForMaskedLM(
    BertConfig(
        vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        max_position_embeddings=SEQ, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
)  # fmt: skip


def optimizer(params):
    return torch.optim.SGD(params, lr=2e-5)


EXPECTED = {
    "verdict": "stalled",
    "others": ["healthy", "vanishing"],
    "recommend": ["learning_rate"],
}

if __name__ == "__main__":
    import external

    external.plain_loop(sys.modules[__name__])
