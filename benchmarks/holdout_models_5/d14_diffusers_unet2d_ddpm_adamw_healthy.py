"""diffusers UNet2DModel trained on DDPM noise prediction with AdamW lr=1e-3 -- healthy.

Model: diffusers UNet2DModel(16x16x1, block_out_channels (16, 32), DownBlock2D + AttnDownBlock2D, one layer
per block, GroupNorm 8), 176,849 params. Data: 8 fixed batches of 8 synthetic images (one Gaussian blob,
[-1, 1]), noised by a DDPMScheduler(1000 steps) at fixed random timesteps; batch ((noisy, t), noise), loss
MSE between UNet2DOutput.sample and the noise. Optimizer: AdamW(lr=1e-3, weight_decay=0.01).

Plain loop (from /work/main, 1 CPU thread):
  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/holdout_models_5/d14_diffusers_unet2d_ddpm_adamw_healthy.py
Measured, median-layer = median over layers of the per-step update ratio ||W_after - W_before|| / ||W_before||
(loss max is the largest loss and the step it came at):
  steps  loss start / max (step) / min / end   total grad norm   median-layer update ratio
  10     1.1 / 1.1 (0) / 0.284 / 0.284         1.03..3.71        0.0029..0.0099
  20     1.1 / 1.1 (0) / 0.125 / 0.125         0.605..3.71       0.0017..0.0099
  30     1.1 / 1.1 (0) / 0.106 / 0.234         0.398..3.71       0.0015..0.0099
  40     1.1 / 1.1 (0) / 0.0894 / 0.137        0.313..3.71       0.0013..0.0099

Why "healthy": the loss falls 1.10 -> 0.28 (10) -> 0.13 (20) -> 0.09-0.14 (40), the per-batch level
depending on the batch's timesteps; grad norm 3.7 falling to 0.3-1; the median layer moves 0.1-1% per step.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _diff import ddpm_batches, sample_mse, unet

data = ddpm_batches()

torch.manual_seed(0)
model = unet()


def loss(output, target):
    return sample_mse(output, target)


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


EXPECTED = {
    "verdict": "healthy",
    "others": ["healthy"],
}

if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import external

    external.plain_loop(sys.modules[__name__])
