"""Tiny wav2vec 2.0 classifier (transformers) in fp16 mixed precision on normalised audio -- healthy.

Same model, seed and AdamW(lr=1e-3) as p04 (`Wav2Vec2ForSequenceClassification`, 30.1k params, fp32
weights), same tone-classification clips, but the samples are the usual [-1, 1]-scale floats (peak ~1).
precision = "16-mixed": autocast float16 on CPU plus torch.amp.GradScaler("cpu") with its defaults.

Plain loop (from /work/main, 1 CPU thread; _amp.plain_loop, written without gradscope, trains exactly as
`precision` says):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_precision/p05_hf_wav2vec2_16mixed_normalised_audio_healthy.py
Measured:
  steps  loss start / min / end   grad norm    median-layer update ratio   loss scale       skipped
  10     1.38 / 1.34 / 1.38       0.37..0.67   0.019..0.039                65536 -> 65536   0/10
  20     1.38 / 1.29 / 1.33       0.37..0.89   0.018..0.039                65536 -> 65536   0/20
  30     1.38 / 1.11 / 1.26       0.37..1.43   0.018..0.039                65536 -> 65536   0/30
  40     1.38 / 0.843 / 1.06      0.37..1.79   0.018..0.039                65536 -> 65536   0/40
  loss per step: 1.38 1.39 1.38 1.38 1.36 1.38 1.37 1.37 1.34 1.38 1.36 1.36 1.32 1.38 1.35 1.35 1.29 1.37
  1.33 1.33 1.24 1.35 1.29 1.31 1.19 1.31 1.24 1.28 1.11 1.26 1.15 1.23 0.987 1.18 1.03 1.15 0.843 1.08
  0.902 1.06 (the 4 batches differ; each one is lower every time it comes back: batch 0 1.38 1.36 1.34 1.32
  1.29 1.24 1.19 1.11 0.99 0.84).

Why "healthy": no overflow anywhere (scale stays at 65536, 0 skipped steps, 0% of updates lost), weights move
2-4% of their norm per step, the loss of every batch falls steadily (slowly for the first 10 steps, as in fp32:
the 32-true run gives the same losses to 3 digits). Nothing to fix.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _wav2vec2 import tone_batches, wav2vec2

data = tone_batches(int16_pcm=False)

torch.manual_seed(0)
model = wav2vec2()
precision = "16-mixed"


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    import _amp

    _amp.plain_loop(sys.modules[__name__])
