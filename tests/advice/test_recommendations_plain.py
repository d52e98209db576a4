"""gradscope's recommended numbers, applied in a plain PyTorch loop (not gradscope's), lower the loss.

The loop here is written from scratch: import the sample script, build its model,
data and optimizer, train. It runs twice as many steps as the probe did, so the
numbers must hold beyond the window they were chosen on.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from harness import ROOT
from torch import nn
from torch.nn import functional as F

from gradscope.config import RunConfig
from gradscope.doors.diagnose import run_diagnosis

SAMPLES = ROOT / "sample_models"
STEPS = 40
# "Clearly lower": the final loss (mean of the last 5 steps) at most this share of the loss as it stands.
CLEARLY = 0.8


def load(script: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"plain_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(script.parent))
    return module


def train(
    script: Path, *, clip: float | None = None, lr: float | None = None, kaiming: list[str] | None = None
) -> float:
    torch.manual_seed(0)
    module = load(script)
    model = module.model if isinstance(module.model, nn.Module) else module.model()
    data = module.data() if callable(module.data) and not hasattr(module.data, "__iter__") else module.data
    batches = list(data)
    if kaiming:
        named = dict(model.named_modules())
        with torch.no_grad():
            for name in kaiming:
                nn.init.kaiming_normal_(named[name].weight, nonlinearity="relu")
                nn.init.zeros_(named[name].bias)
    make = getattr(module, "optimizer", None)
    opt = make(model.parameters()) if make else torch.optim.Adam(model.parameters(), lr=1e-3)
    if lr is not None:
        for group in opt.param_groups:
            group["lr"] = lr
    losses = []
    for step in range(STEPS):
        x, y = batches[step % len(batches)]
        opt.zero_grad()
        out = model(x)
        loss = module.loss(out, y) if hasattr(module, "loss") else (
            F.cross_entropy(out, y) if not y.is_floating_point() else F.mse_loss(out, y)
        )  # fmt: skip
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
        opt.step()
        losses.append(loss.item())
    tail = losses[-5:]
    return statistics.fmean(tail) if all(torch.isfinite(torch.tensor(tail))) else float("inf")


def recommendation(script: Path, action: str) -> dict[str, Any]:
    report = run_diagnosis(RunConfig(script=script, device="cpu", budget=None))
    for rec in report.recommendations:
        if rec.action == action:
            assert rec.verified is not None and rec.verified.improved
            return dict(rec.numbers)
    raise AssertionError(f"no {action} recommendation for {script.name}: {[r.action for r in report.recommendations]}")


@pytest.mark.parametrize(
    ("sample", "action"),
    [("exploding_rnn", "clip_grad_norm"), ("lr_too_high", "learning_rate"), ("lr_too_low", "learning_rate")],
)
def test_recommended_number_lowers_the_loss_in_a_plain_loop(sample: str, action: str) -> None:
    script = SAMPLES / f"{sample}.py"
    numbers = recommendation(script, action)
    before = train(script)
    if action == "clip_grad_norm":
        after = train(script, clip=float(numbers["max_norm"]))
    else:
        after = train(script, lr=float(numbers["lr"]))
    assert after < CLEARLY * before, f"{sample}: {before:.4g} -> {after:.4g} with {numbers}"


def test_recommended_init_fixes_the_bad_init_sample_in_a_plain_loop() -> None:
    script = SAMPLES / "bad_init_exploding.py"
    numbers = recommendation(script, "init")
    assert numbers["scheme"].startswith("kaiming_normal_")
    before = train(script)
    after = train(script, kaiming=list(numbers["layers"]))
    assert after < 1e-3 * before, f"{before:.4g} -> {after:.4g}"
