"""The CUDA path: same figures as on the CPU. Skipped cleanly on machines without CUDA."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradscope

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

SAMPLES = Path(__file__).parent.parent / "sample_models"


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
    from gradscope.pipeline import run_diagnosis

    report = run_diagnosis(RunConfig(script=SAMPLES / "healthy_mlp.py", device="cuda", steps=5, verify=False))
    assert report.record.run.device.startswith("cuda")
    assert report.verdict.value == "healthy"
