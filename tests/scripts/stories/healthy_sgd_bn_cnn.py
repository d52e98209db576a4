"""Healthy control for swing_sgd_bn_cnn.py: the same BatchNorm CNN at SGD lr=0.1 (momentum 0.9).

Same architecture, optimizer class and data generator as the swinging script; the blob is
clearer (height 1.0 instead of 0.3) and the seeds differ (weights 0, data 1), so that the run
converges visibly within 10 steps. The loss falls with ordinary minibatch noise:
  1.184 1.101 1.126 1.075 1.096 1.057 1.075 1.032 0.982 0.939 | ... 0.732 (step 19) ... 0.532
  (step 29) ... 0.509 (step 39), lowest 0.389 (step 36)
  N=10: start 1.184, max 1.184 (step 0), end 0.939
  N=20: end 0.732;  N=30: end 0.532;  N=40: end 0.509 (min 0.389)
Total gradient norm 0.36-1.03 (1.03 at step 32), median update ratio 0.012-0.038.

Measured with torch 2.13 CPU.
"""

import torch
from _bn_cnn import blobs, cnn
from torch.nn import functional as F

torch.manual_seed(0)  # the weights do not depend on gradscope's --seed
model = cnn()
data = blobs(1, signal=1.0)


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


def _loss_of(batch):  # gradscope's default loss for integer targets
    inputs, target = batch
    return F.cross_entropy(model(inputs), target)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, _loss_of)


EXPECTED = {"verdict": "healthy", "layers": {}, "others": ["healthy"], "recommend": []}
