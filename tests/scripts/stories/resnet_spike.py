"""Learning rate too high for a tiny Hugging Face ResNet: Adam lr=1.0.

transformers.ResNetForImageClassification from a ResNetConfig (embedding 8, stages of 8 and 16
channels, one basic block each, BatchNorm; no download), 3 classes. Data: 40 fresh batches of 16
noise images 3x16x16 where class c adds a faint constant 0.1 to channel c; dict batches
{"pixel_values", "labels"}, loss = output.loss.

The loss spikes 15x at step 1 and 18x at step 3, then stays above its start for most of the run
(37 of the 39 later steps):
  1.037 15.61 6.99 18.42 6.95 2.51 2.24 2.61 6.16 3.08 | 2.40 1.30 1.32 1.44 1.63 1.58 1.73 2.54
  1.36 1.49 | 1.05 1.50 1.53 1.29 0.89 1.25 1.40 1.55 1.30 1.36 | 1.95 1.19 1.34 1.01 1.06 1.11
  1.14 1.22 1.09 1.27   (below the start only at steps 24 and 33)
  N=10: start 1.037, max 18.42 (step 3), end 3.08
  N=20: start 1.037, max 18.42 (step 3), end 1.49
  N=30: start 1.037, max 18.42 (step 3), end 1.36 (min 0.89)
  N=40: start 1.037, max 18.42 (step 3), end 1.27 (min 0.89)
Gradient norm 1.2 at step 0, 6.2 at steps 1 and 3 (peak 6.245, step 1), 0.13-3.4 afterwards. Median update ratio 2.6
at step 0, 0.004-0.65 later. At lr=0.1 the spike is 1.75 (step 3) and the run ends at 0.99.
Measured with torch 2.13 CPU (2 and 1 threads give identical figures).
"""

import torch
from transformers import ResNetConfig, ResNetForImageClassification

CLASSES, BATCH, BATCHES, SIDE, SIGNAL = 3, 16, 40, 16, 0.1

_config = ResNetConfig(
    num_channels=3, embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic", num_labels=CLASSES
)
torch.manual_seed(7)  # the weights do not depend on gradscope's --seed
model = ResNetForImageClassification(_config)  # built from the config: no download

# Noise images whose class c adds a faint constant SIGNAL to channel c: 40 fresh batches.
_gen = torch.Generator().manual_seed(8)
data = []
for _ in range(BATCHES):
    _labels = torch.randint(0, CLASSES, (BATCH,), generator=_gen)
    _images = torch.randn(BATCH, 3, SIDE, SIDE, generator=_gen)
    _images[torch.arange(BATCH), _labels] += SIGNAL
    data.append({"pixel_values": _images, "labels": _labels})  # Hugging Face style: model(**batch).loss


def optimizer(params):
    return torch.optim.Adam(params, lr=1.0)


def _loss_of(batch):
    return model(**batch).loss


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"]}
