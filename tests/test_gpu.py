"""The CUDA path: same figures as on the CPU. Skipped cleanly on machines without CUDA."""

from __future__ import annotations

import copy

import pytest
import torch
from harness import ROOT
from torch import nn
from torch.nn import functional as F

import gradscope

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

SAMPLES = ROOT / "sample_models"


def run(model: nn.Module, device: str) -> list[tuple[float, ...]]:
    model = copy.deepcopy(model).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(0)
    with gradscope.watch(model, opt) as w:
        for _ in range(4):
            x = torch.randn(32, 16, generator=g).to(device)
            y = torch.randint(0, 4, (32,), generator=g).to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            w.loss(loss)
            opt.step()
    return [r.grad_norm + r.update_norm + (r.loss or 0.0,) for r in w.probe.records]


def test_cuda_figures_match_cpu() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    for cpu, gpu in zip(run(model, "cpu"), run(model, "cuda"), strict=True):
        assert gpu == pytest.approx(cpu, rel=1e-3)


def test_diagnose_on_cuda() -> None:
    from gradscope.config import RunConfig
    from gradscope.doors.diagnose import run_diagnosis

    report = run_diagnosis(RunConfig(script=SAMPLES / "healthy_mlp.py", device="cuda", steps=5, verify=False))
    assert report.record.run.device.startswith("cuda")
    assert report.verdict.value == "healthy"


def amp_run(fused: bool) -> tuple[list[tuple[float, ...]], int]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, fused=fused)
    scaler = torch.amp.GradScaler("cuda", init_scale=2.0**12)
    g = torch.Generator().manual_seed(0)
    with gradscope.watch(model, opt, scaler=scaler) as w:
        for i in range(6):
            x = torch.randn(32, 16, generator=g).cuda()
            y = torch.randint(0, 4, (32,), generator=g).cuda()
            opt.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16):
                loss = F.cross_entropy(model(x).float(), y) * (float("inf") if i == 2 else 1.0)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    return [r.grad_norm for r in w.probe.records], w.probe.skipped


def test_fused_adam_under_grad_scaler_on_cuda_matches_unfused() -> None:
    plain, plain_skipped = amp_run(fused=False)
    fused, fused_skipped = amp_run(fused=True)
    assert plain_skipped == fused_skipped == 1
    assert len(plain) == len(fused) == 5
    for a, b in zip(plain, fused, strict=True):
        assert b == pytest.approx(a, rel=1e-3)
