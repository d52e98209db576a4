"""Scripts that import real libraries are diagnosed, not refused.

Each runs `gradscope diagnose` in a fresh interpreter, as a user would: what a
library does at import time (transformers pulling in torch.distributed.tensor,
lightning, torch.compile loading torch._dynamo) has to work inside the diagnose
process exactly as it does under plain `python`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MLP = textwrap.dedent(
    """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    data = [(torch.randn(16, 8), torch.randn(16, 2)) for _ in range(2)]
    """
)

GPT2 = textwrap.dedent(
    """
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=32, n_embd=32, n_layer=1, n_head=2))
    x = torch.randint(0, 64, (4, 16))
    data = [{"input_ids": x, "labels": x}]
    """
)

LIGHTNING = textwrap.dedent(
    """
    import torch
    from torch import nn
    import {package} as L


    class Net(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return nn.functional.mse_loss(self(x), y)


    model = Net()
    data = [(torch.randn(16, 8), torch.randn(16, 2)) for _ in range(2)]


    def compute_loss(model, batch):
        return model.training_step(batch, 0)
    """
)

# A learning rate far too high, so there are findings and verification replays the compiled model.
COMPILED = textwrap.dedent(
    """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    compiled = torch.compile(model, backend="eager")
    data = [(torch.randn(16, 8), torch.randn(16, 2)) for _ in range(2)]


    def optimizer(params):
        return torch.optim.SGD(params, lr=3.0)


    def compute_loss(model, batch):
        x, y = batch
        return nn.functional.mse_loss(compiled(x), y)
    """
)


def diagnose(tmp_path: Path, source: str, *options: str) -> dict[str, Any]:
    """Diagnose `source` in a fresh process; it must end in a report (exit 0 or 1), not an error."""
    script = tmp_path / "model.py"
    script.write_text(source)
    out = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "gradscope", "diagnose", str(script), "--device", "cpu", "--json", str(out), *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), f"exit {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert "gradscope: error" not in done.stderr and "internal error" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    assert report["verdict"], report
    return report


def test_transformers_gpt2_from_a_tiny_config(tmp_path: Path) -> None:
    report = diagnose(tmp_path, GPT2, "--steps", "4", "--no-verify")
    assert report["run"]["loss_source"] == "default"  # the model's own `.loss` from a dict batch
    assert len(report["steps"]) == 4


def test_import_torch_distributed_tensor(tmp_path: Path) -> None:
    diagnose(tmp_path, "import torch.distributed.tensor\n" + MLP, "--steps", "4", "--no-verify")


@pytest.mark.parametrize("package", ["lightning", "pytorch_lightning"])
def test_lightning_module(tmp_path: Path, package: str) -> None:
    report = diagnose(tmp_path, LIGHTNING.format(package=package), "--steps", "4", "--no-verify")
    assert report["run"]["loss_source"] == "compute_loss"


def test_torch_compile_eager_backend_with_verification(tmp_path: Path) -> None:
    report = diagnose(tmp_path, COMPILED, "--steps", "6")
    assert report["findings"], "lr=3.0 should give findings, so verification replays the compiled model"
