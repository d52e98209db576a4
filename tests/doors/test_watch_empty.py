"""`gradscope.watch` with nothing to measure: no parameter to train, no optimizer step."""

from __future__ import annotations

import torch
from torch import nn

import gradscope
from gradscope.data.notes import NoteCode
from gradscope.data.records import Verdict


def test_watch_of_a_model_without_parameters_to_train_does_not_crash() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    for p in model.parameters():
        p.requires_grad_(False)
    extra = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([extra], lr=0.1)
    with gradscope.watch(model, opt) as w:
        (model(torch.randn(4, 3)).sum() + extra.sum()).backward()
        opt.step()
    assert w.report().verdict is Verdict.HEALTHY


def test_a_watch_that_saw_no_step_says_so() -> None:
    model = nn.Linear(3, 2)
    with gradscope.watch(model, torch.optim.SGD(model.parameters(), lr=0.1)) as w:
        pass
    assert any(n.code is NoteCode.NOTHING_RECORDED for n in w.report().notes)
