"""A tiny diffusers UNet2DModel and fixed DDPM noise-prediction batches (not a model script, no EXPECTED)."""

import torch

SIZE, BATCH, N_BATCHES = 16, 8, 8


def unet():
    """diffusers UNet2DModel: 16x16x1, blocks (16, 32), one ResNet layer per block, GroupNorm 8; seed torch first."""
    from diffusers import UNet2DModel

    return UNet2DModel(
        sample_size=SIZE, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=8, attention_head_dim=8,
    )  # fmt: skip


def ddpm_batches():
    """((noisy image, timestep), noise) from a DDPMScheduler (1000 steps) over synthetic images: one Gaussian
    blob per image at a random place and width, scaled to [-1, 1]."""
    from diffusers import DDPMScheduler

    g = torch.Generator().manual_seed(0)
    sched = DDPMScheduler(num_train_timesteps=1000)
    yy, xx = torch.meshgrid(torch.arange(SIZE).float(), torch.arange(SIZE).float(), indexing="ij")
    out = []
    for _ in range(N_BATCHES):
        c = torch.rand(BATCH, 2, generator=g) * (SIZE - 4) + 2
        w = torch.rand(BATCH, generator=g) * 2 + 1.5
        d2 = (yy - c[:, 0, None, None]) ** 2 + (xx - c[:, 1, None, None]) ** 2
        x0 = (2 * torch.exp(-d2 / (2 * w[:, None, None] ** 2)) - 1).unsqueeze(1)
        noise = torch.randn(x0.shape, generator=g)
        t = torch.randint(0, 1000, (BATCH,), generator=g)
        out.append(((sched.add_noise(x0, noise, t), t), noise))
    return out


def sample_mse(output, target):
    """MSE between the predicted noise (UNet2DOutput.sample) and the true noise."""
    return torch.nn.functional.mse_loss(output.sample, target)
