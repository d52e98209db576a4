"""Reading each param group's learning rate as the optimizer will use it (gradscope.probe.rates).

`float(group["lr"])` ended every diagnosis of the T5 recipe (Adafactor, lr=None) in an internal
error; the reading must give a number or NaN for every optimizer, and say what kind it is.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradscope.data.rates import RateKind, kind_of, relative_step
from gradscope.probe import rates


def _step(model: nn.Module, opt: torch.optim.Optimizer) -> None:
    opt.zero_grad()
    model(torch.randn(3, 4)).pow(2).mean().backward()
    opt.step()


def test_a_plain_lr_is_read_as_it_is() -> None:
    opt = torch.optim.SGD(nn.Linear(4, 2).parameters(), lr=0.05)
    assert rates.read(opt) == [0.05] and rates.kind(opt) is RateKind.NUMBER


def test_adafactor_relative_step_is_read_as_the_step_it_takes() -> None:
    af = pytest.importorskip("transformers.optimization")
    model = nn.Linear(4, 2)
    opt = af.Adafactor(model.parameters(), lr=None, relative_step=True, scale_parameter=True, warmup_init=False)
    assert rates.kind(opt) is RateKind.RELATIVE
    assert rates.read(opt) == [pytest.approx(1e-2)]  # min(1e-2, 1/sqrt(t)) from the first step on
    warm = af.Adafactor(model.parameters(), lr=None, relative_step=True, warmup_init=True)
    assert rates.kind(warm) is RateKind.RELATIVE_WARMUP
    assert rates.read(warm) == [pytest.approx(1e-6)]
    for _ in range(3):
        _step(model, warm)
    assert rates.read(warm) == [pytest.approx(4e-6)]  # the coming step is the 4th: 1e-6 x 4
    unscaled = af.Adafactor(model.parameters(), lr=None, relative_step=True, scale_parameter=False)
    assert rates.kind(unscaled) is RateKind.RELATIVE_UNSCALED


def test_adafactor_with_an_explicit_lr_is_a_plain_rate() -> None:
    af = pytest.importorskip("transformers.optimization")
    opt = af.Adafactor(nn.Linear(4, 2).parameters(), lr=1e-3, relative_step=False, warmup_init=False)
    assert rates.kind(opt) is RateKind.NUMBER and rates.read(opt) == [1e-3]
    torch_adafactor = torch.optim.Adafactor(nn.Linear(4, 2).parameters())
    assert rates.kind(torch_adafactor) is RateKind.NUMBER  # its `d` is a clipping threshold, not a step estimate


def test_learning_rate_free_optimizers_hold_a_multiplier() -> None:
    prodigyopt = pytest.importorskip("prodigyopt")
    opt = prodigyopt.Prodigy(nn.Linear(4, 2).parameters(), lr=1.0)
    assert rates.kind(opt) is RateKind.MULTIPLIER and rates.read(opt) == [1.0]


def test_dadaptation_holds_a_multiplier() -> None:
    dadaptation = pytest.importorskip("dadaptation")
    opt = dadaptation.DAdaptAdam(nn.Linear(4, 2).parameters(), lr=1.0)
    assert rates.kind(opt) is RateKind.MULTIPLIER


def test_an_lr_that_is_not_a_number_is_read_as_nan() -> None:
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = None
    [value] = rates.read(opt)
    assert isinstance(value, float) and math.isnan(value) and rates.kind(opt) is RateKind.NONE
    del opt.param_groups[0]["lr"]
    [missing] = rates.read(opt)
    assert isinstance(missing, float) and math.isnan(missing)


def test_a_tensor_lr_is_handed_back_for_the_caller_to_read() -> None:
    opt = torch.optim.Adam(nn.Linear(4, 2).parameters(), lr=torch.tensor(1e-3))
    [value] = rates.read(opt)
    assert isinstance(value, torch.Tensor) and rates.kind(opt) is RateKind.NUMBER


def test_kind_and_relative_step_from_plain_dicts() -> None:
    assert kind_of({"lr": 1.0, "d": 1e-6, "k": 0}) is RateKind.MULTIPLIER
    assert kind_of({"lr": "fast"}) is RateKind.NONE
    assert kind_of({"lr": True}) is RateKind.NONE  # a bool is no rate
    assert relative_step({"warmup_init": False}, 1) == pytest.approx(1e-2)
    assert relative_step({"warmup_init": False}, 40_000) == pytest.approx(1 / 200)  # 1/sqrt(t) past 1e4 steps
    assert relative_step({"warmup_init": True}, 20) == pytest.approx(2e-5)
