"""Five sample models trained 20 steps under gradscope.watch, seeded: each report's text and JSON
written into the folder given (run from the checkout's root; capture.sh does)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch
from torch.nn import functional as F

import gradscope

MODELS = ["healthy_mlp", "bad_init_exploding", "deep_sigmoid", "lr_too_high", "missing_from_optimizer"]


def load(name: str) -> object:
    torch.manual_seed(0)
    spec = importlib.util.spec_from_file_location(f"sample_{name}", f"sample_models/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def loss_of(module: object, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if hasattr(module, "loss"):
        return module.loss(output, target)
    return F.mse_loss(output, target) if target.is_floating_point() else F.cross_entropy(output, target)


def main() -> None:
    out = Path(sys.argv[1])
    for name in MODELS:
        module = load(name)
        torch.manual_seed(0)
        made = module.model
        model = made() if not isinstance(made, torch.nn.Module) and callable(made) else made
        batches = list(module.data() if callable(module.data) else module.data)
        opt = (
            module.optimizer(model.parameters())
            if hasattr(module, "optimizer")
            else torch.optim.Adam(model.parameters(), 1e-3)
        )
        with gradscope.watch(model, opt) as w:
            for i in range(20):
                x, y = batches[i % len(batches)]
                opt.zero_grad()
                loss = loss_of(module, model(x), y)
                loss.backward()
                w.loss(loss)
                opt.step()
        report = w.report()
        (out / f"watch_{name}.txt").write_text(str(report))
        w.save(out / f"watch_{name}.json")
        print(f"watch_{name} verdict={report.verdict}")


if __name__ == "__main__":
    main()
