"""Learning rates that are not numbers, and rates in a usable range (issue 23, stories 4 and 5).

The advice scales the knob the optimizer steps by (Adafactor's relative step becomes an
explicit lr, Prodigy's lr is a multiplier of its estimated step), offers a rate only within
the range the optimizer's family is used at, and says so in a note where no usable rate is
left. These run on hand-built records (no replay): the doors' tests replay for real.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import nn

from gradscope.advice.advisor import Advisor
from gradscope.advice.candidates import (
    ADAM_LIKE,
    ANY_OPTIMIZER,
    MULTIPLIER_LIKE,
    RELATIVE_LIKE,
    SGD_LIKE,
    usable_range,
)
from gradscope.advice.knobs import Knob
from gradscope.advice.numbers import learning_rate
from gradscope.advice.replay import Bar, Change
from gradscope.data.notes import NoteCode, Voice
from gradscope.data.rates import RateKind
from gradscope.data.records import Recommendation, RunRecord
from gradscope.diagnosis import diagnose
from gradscope.diagnosis.examples import mlp, record


def _run(optimizer: str, lr: float, kind: RateKind, update_ratio: float, lrs: list[float] | None = None) -> RunRecord:
    """A 10-step MLP record at `lr` under `optimizer` whose layers move `update_ratio` a step."""
    rec = record(mlp(4), grad=[0.5] * 4, update_ratio=[update_ratio] * 4, optimizer=optimizer)
    rates = lrs or [lr] * len(rec.steps)
    steps = tuple(replace(s, lr=(rate,)) for s, rate in zip(rec.steps, rates, strict=True))
    return replace(rec, run=replace(rec.run, lr=(rates[0],), lr_kind=kind), steps=steps)


def _advise(rec: RunRecord, direction: str) -> tuple[Recommendation | None, Advisor]:
    """The learning rate the advice makes for `rec` without replays, and its advisor (its notes)."""
    advisor = Advisor(rec, diagnose(rec))
    return learning_rate(advisor, direction, "GS301"), advisor


def test_each_family_has_the_range_it_is_used_at() -> None:
    assert usable_range("SGD") is SGD_LIKE
    assert usable_range("LBFGS") is SGD_LIKE
    for adam in ("Adam", "AdamW", "Adafactor", "AdamWScheduleFree", "Lion", "RMSprop", "MuonWithAdamW"):
        assert usable_range(adam) is ADAM_LIKE, adam
    assert usable_range("Prodigy", RateKind.MULTIPLIER) is MULTIPLIER_LIKE
    assert usable_range("DAdaptSGD", RateKind.MULTIPLIER) is MULTIPLIER_LIKE  # its kind decides, not its name
    assert usable_range("Adadelta") is MULTIPLIER_LIKE
    assert usable_range("MyOwnOptimizer") is ANY_OPTIMIZER
    assert usable_range("SGD + Adam") is SGD_LIKE  # several optimizers: the first's
    # Adafactor's relative step (relative to each weight's RMS) stops at its own cap, 1e-2.
    assert usable_range("Adafactor", RateKind.RELATIVE_WARMUP) is RELATIVE_LIKE
    assert usable_range("Adafactor", RateKind.RELATIVE_UNSCALED) is ADAM_LIKE
    # The ranges hold what practitioners use and not what no one does.
    assert SGD_LIKE.holds(0.1) and SGD_LIKE.holds(3.2) and not SGD_LIKE.holds(3e-24) and not SGD_LIKE.holds(2e-8)
    assert ADAM_LIKE.holds(5e-7) and ADAM_LIKE.holds(3e-4) and not ADAM_LIKE.holds(1.0)
    assert MULTIPLIER_LIKE.holds(1.0) and not MULTIPLIER_LIKE.holds(1e-3)
    assert not ANY_OPTIMIZER.holds(math.nan)


def test_no_rate_outside_the_usable_range_is_offered_and_the_note_says_why() -> None:
    # An SGD net whose layers move 1e7 of their size a step: the update ratios call for lr ~1e-12.
    made, advisor = _advise(_run("SGD", 0.01, RateKind.NUMBER, 1e7), "down")
    assert made is None
    [note] = advisor.notes
    assert note.code is NoteCode.LR_ELSEWHERE
    text = note.text(Voice())
    assert "outside the range SGD is used at (1e-06 to 10" in text
    assert "the cause lies elsewhere" in text and "init" in text and "inputs" in text


def test_an_unverified_rate_within_the_range_is_still_offered() -> None:
    rec, _ = _advise(_run("SGD", 8.0, RateKind.NUMBER, 0.5), "down")
    assert rec is not None and rec.lr is not None and SGD_LIKE.holds(rec.lr)
    assert rec.code == f"SGD(model.parameters(), lr={rec.lr:.3g})"


def test_a_raise_stops_at_the_top_of_the_range() -> None:
    # Adam at 1e-3 with updates of 1e-7: the grid's x1000 and x10000 would be lr 1 and 10.
    rec, _ = _advise(_run("Adam", 1e-3, RateKind.NUMBER, 1e-7), "up")
    assert rec is None or (rec.lr is not None and ADAM_LIKE.holds(rec.lr))


def test_adafactor_relative_step_advice_names_its_own_knob() -> None:
    # The T5 recipe's relative step, 1e-2 a step, too high: an explicit, lower lr with relative_step=False.
    rec, _ = _advise(_run("Adafactor", 1e-2, RateKind.RELATIVE, 0.2), "down")
    assert rec is not None and rec.lr is not None and rec.lr < 1e-2
    assert "relative_step=False" in rec.code and "scale_parameter" not in rec.code
    assert "relative step (lr=None)" in rec.how
    unscaled, _ = _advise(_run("Adafactor", 1e-2, RateKind.RELATIVE_UNSCALED, 0.2), "down")
    assert unscaled is not None and "scale_parameter=False" in unscaled.code


def test_adafactor_warmup_init_scales_the_highest_relative_step_and_names_warmup_init() -> None:
    # warmup_init: the relative step is 1e-6 x step, 1e-6 .. 1e-5 over 10 steps.
    rates = [1e-6 * (i + 1) for i in range(10)]
    rec = _run("Adafactor", 1e-6, RateKind.RELATIVE_WARMUP, 1e-5, lrs=rates)
    knob = Knob.of(rec, rec.run.lr[0])
    assert knob.base == pytest.approx(1e-5) and knob.scheduled is None and knob.lr_base == pytest.approx(1e-5)
    made, _ = _advise(rec, "up")
    assert made is not None and made.lr is not None and made.lr > 1e-5
    assert "relative_step=False" in made.code and "warmup_init=False" in made.how


def test_prodigy_advice_scales_its_multiplier_and_names_d_coef() -> None:
    made, _ = _advise(_run("Prodigy", 1.0, RateKind.MULTIPLIER, 0.05), "down")
    assert made is not None and made.lr is not None and MULTIPLIER_LIKE.holds(made.lr)
    assert made.code.startswith("Prodigy(model.parameters(), lr=") and "d_coef" in made.how


def test_a_rate_that_is_not_a_number_gets_a_note_not_a_number() -> None:
    made, advisor = _advise(_run("Mystery", math.nan, RateKind.NONE, 0.3), "down")
    assert made is None
    assert [n.code for n in advisor.notes] == [NoteCode.LR_NO_NUMBER]
    assert advisor.notes[0].fields["why"] == "not_a_number"


def test_a_replayed_rate_must_make_the_loss_fall_not_hold_it() -> None:
    blew_up = (1.04e4, 3e4, 1e5, 1e6, 1e7)
    held = (1.04e4, 1.05e4, 1.03e4, 1.04e4, 1.04e4)  # SGD at 1e-22 "beats" the run by not moving
    fell = (1.04e4, 5e3, 2e3, 1e3, 9e2)
    bar = Bar(must_fall=True)
    assert Bar().met(blew_up, held) and not bar.met(blew_up, held)
    assert bar.met(blew_up, fell)
    assert not bar.met(blew_up, (2.0, math.inf))


def test_a_replay_turns_adafactor_relative_step_into_an_explicit_lr() -> None:
    transformers = pytest.importorskip("transformers.optimization")
    model = nn.Linear(4, 2)
    opt = transformers.Adafactor(model.parameters(), lr=None, relative_step=True, warmup_init=True)
    Change(lr_scale=10.0, lr_base=2e-5).apply(model, opt)
    group = opt.param_groups[0]
    assert group["relative_step"] is False and group["warmup_init"] is False
    assert group["lr"] == pytest.approx(2e-4) and group["scale_parameter"] is True
    model(torch.randn(3, 4)).sum().backward()
    opt.step()  # steps with the explicit rate, no error


def test_a_replay_scales_a_plain_lr_and_a_multiplier_alike() -> None:
    model = nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    Change(lr_scale=0.3).apply(model, opt)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.03)
    opt.param_groups[0]["lr"] = None  # an lr that is not a number is left alone, not a crash
    Change(lr_scale=0.3).apply(model, opt)
    assert opt.param_groups[0]["lr"] is None


def test_a_warm_up_from_zero_is_scaled_at_its_highest_rate_without_replays() -> None:
    # A linear warm-up from lr 0 (the Hugging Face schedule): the first step's rate is no base.
    rates = [1e-4 * i for i in range(10)]
    made, advisor = _advise(_run("AdamW", 0.0, RateKind.NUMBER, 0.3, lrs=rates), "down")
    assert made is not None and made.lr is not None and 0 < made.lr < 9e-4
    assert "scale the whole schedule" in made.how and not advisor.notes
