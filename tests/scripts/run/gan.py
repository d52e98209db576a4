"""A GAN in the DCGAN example's shape: a generator and a discriminator built in main(), one
Adam each, the discriminator stepped on real and fake batches (two backward() calls), then the
generator. The "real" data are points on a circle."""

import argparse
import math

import torch
from torch import nn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--niter", type=int, default=500)
    parser.add_argument("--lr", type=float, default=2e-3)
    opt = parser.parse_args()
    torch.manual_seed(0)

    netG = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    netD = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
    criterion = nn.BCEWithLogitsLoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=opt.lr, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=opt.lr, betas=(0.5, 0.999))

    for i in range(opt.niter):
        angle = torch.rand(64, 1) * 2 * math.pi
        real = torch.cat([angle.cos(), angle.sin()], 1)
        ones, zeros = torch.ones(64, 1), torch.zeros(64, 1)

        netD.zero_grad()
        errD_real = criterion(netD(real), ones)
        errD_real.backward()
        fake = netG(torch.randn(64, 8))
        errD_fake = criterion(netD(fake.detach()), zeros)
        errD_fake.backward()
        optimizerD.step()

        netG.zero_grad()
        errG = criterion(netD(fake), ones)
        errG.backward()
        optimizerG.step()
        if i % 50 == 0:
            print(f"[{i}/{opt.niter}] Loss_D: {(errD_real + errD_fake).item():.4f} Loss_G: {errG.item():.4f}")


if __name__ == "__main__":
    main()
