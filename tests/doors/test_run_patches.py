"""The run door's hooks on torch: what they report while installed, and torch put back after."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from gradscope.doors.run.models import Models
from gradscope.doors.run.patches import Patches


class Recorder:
    """A listener that writes down what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.steps = 0

    def backward(self, tensors: Any) -> None:
        self.events.append(("backward", tensors))

    def constructed(self, optimizer: torch.optim.Optimizer) -> None:
        self.events.append(("constructed", type(optimizer).__name__))

    def scaled(self, scaler: torch.amp.GradScaler, outputs: Any, scaled: Any) -> None:
        self.events.append(("scaled", outputs))

    def steps_taken(self) -> int:
        return self.steps

    def step_skipped(self, optimizer: Any) -> None:
        self.events.append(("skipped", None))

    def pre_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.steps += 1
        self.events.append(("pre_step", type(optimizer).__name__))

    def post_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self.events.append(("post_step", type(optimizer).__name__))

    def distribution(self, distribution: Any) -> None:
        self.events.append(("distribution", type(distribution).__name__))

    def sampled(self, distribution: Any) -> None:
        self.events.append(("sampled", type(distribution).__name__))


def kinds(listener: Recorder) -> list[str]:
    return [kind for kind, _ in listener.events]


def test_the_listener_hears_construction_backward_and_steps_and_torch_is_put_back() -> None:
    backward, init = torch.autograd.backward, torch.optim.Optimizer.__init__
    scale, scaler_step = torch.amp.GradScaler.scale, torch.amp.GradScaler.step
    categorical = torch.distributions.Categorical.__init__, torch.distributions.Categorical.sample
    listener = Recorder()
    patches = Patches(listener)
    patches.install()
    try:
        assert patches.installed
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = model(torch.randn(4, 3)).pow(2).mean()
        loss.backward()
        opt.step()
        torch.distributions.Categorical(logits=torch.zeros(2, 3)).sample()
    finally:
        patches.uninstall()
    heard = ["constructed", "backward", "pre_step", "post_step", "distribution", "sampled"]
    assert kinds(listener) == heard
    assert listener.events[1][1] is loss
    assert not patches.installed
    assert torch.autograd.backward is backward and torch.optim.Optimizer.__init__ is init
    assert torch.amp.GradScaler.scale is scale and torch.amp.GradScaler.step is scaler_step
    assert (torch.distributions.Categorical.__init__, torch.distributions.Categorical.sample) == categorical
    opt.step()  # no hook is left behind
    torch.distributions.Categorical(logits=torch.zeros(2, 3)).sample()
    assert kinds(listener) == heard


def test_a_gradscaler_step_that_skipped_the_optimizer_is_reported() -> None:
    listener = Recorder()
    patches = Patches(listener)
    patches.install()
    try:
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.amp.GradScaler("cpu")
        loss = model(torch.randn(4, 3)).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)  # finite gradients: the optimizer steps
        scaler.update()
        opt.zero_grad()
        scaler.scale(model(torch.full((4, 3), float("inf"))).sum()).backward()
        scaler.step(opt)  # inf gradients: GradScaler skips optimizer.step()
    finally:
        patches.uninstall()
    assert kinds(listener) == [
        "constructed",
        "scaled",
        "backward",
        "pre_step",
        "post_step",
        "scaled",
        "backward",
        "skipped",
    ]
    assert listener.events[1][1] is loss  # the loss before scaling


def test_models_are_named_once_and_made_unique() -> None:
    models = Models()
    first, second = nn.Linear(2, 2), nn.Linear(2, 2)
    assert models._distinct([("net", first)]) == [("net", first)]
    # Another model the script also calls `net` gets a name of its own; the first keeps its name.
    assert models._distinct([("net", second), ("net", first)]) == [("net2", second), ("net", first)]


def test_an_optimizer_over_one_whole_model_measures_that_model() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    held = frozenset(id(p) for p in net.parameters())
    model, named, prefixed = Models().view(opt, held, [opt])
    assert model is net and named == [("net", net)] and not prefixed


def test_two_optimizers_over_one_model_each_measure_their_own_layers() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    first = torch.optim.SGD(net[0].parameters(), lr=0.1)
    second = torch.optim.SGD(net[2].parameters(), lr=0.1)
    models = Models()
    view, named, prefixed = models.view(first, frozenset(id(p) for p in net[0].parameters()), [first, second])
    assert named == [("net", net)] and not prefixed
    layers = [name for name, module in view.named_modules() if module._parameters]
    assert layers == ["0"]  # the other optimizer's layer is measured by its own probe
