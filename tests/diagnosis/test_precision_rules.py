"""Review regressions for the precision rules: a layer the optimizer never steps loses nothing to
rounding, and a script's own `precision` function is not the setting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness import write_script

from gradscope.data.records import RunRecord, Verdict
from gradscope.diagnosis import diagnose
from gradscope.diagnosis.examples import mlp, record
from gradscope.load.script import load


def _bf16(lost: float, optimized: bool) -> RunRecord:
    """Four bf16 layers; the first three lose `lost` of their updates; they are held by the optimizer or not."""
    run = record(mlp(), grad=[0.5] * 4, update_ratio=[1e-3] * 4)
    layers = tuple(replace(layer, optimized=optimized or i == 3) for i, layer in enumerate(run.layers))
    steps = tuple(replace(s, lost_frac=(lost, lost, lost, 0.0), update_spacings=(1.0,) * 4) for s in run.steps)
    return replace(run, layers=layers, steps=steps, run=replace(run.run, dtype="bfloat16"))


def test_updates_lost_to_rounding_are_precision() -> None:
    assert diagnose(_bf16(0.9, optimized=True)).verdict is Verdict.PRECISION


def test_a_layer_the_optimizer_does_not_hold_loses_nothing_to_rounding() -> None:
    # It never moves because nothing steps it (GS202's finding), not because of bf16's spacing.
    d = diagnose(_bf16(1.0, optimized=False))
    assert d.verdict is not Verdict.PRECISION
    assert all(f.verdict is not Verdict.PRECISION for f in d.findings if f.withdrawn is None)


def test_a_scripts_own_precision_function_is_not_the_setting(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
        import torch
        def precision(preds, target):  # a metric, as torchmetrics names it
            return (preds == target).float().mean()
        model = torch.nn.Linear(3, 2)
        data = [(torch.randn(4, 3), torch.tensor([0, 1, 0, 1]))]
        """,
    )
    assert load(script, 2).precision is None
