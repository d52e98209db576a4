"""Notes as data: what a report says about how it was made, as a code and its fields.

A stage that has something to say (the diagnosis: no loss, too few steps; the advice: a
replay that found nothing, a budget that ran out; a door: a stopped script, a GradScaler's
skipped steps) makes a `Note` with a code and the figures it needs. Nothing words a note but
`Note.text`, from its code, its fields and the `Voice` of the door that recorded the run: the
same "no loss was recorded" reads differently under `watch` (hand the loss over) and under
`gradscope run` (the script never called backward() on a scalar). No note is ever found or
rewritten by its text.

A report lists its notes in the order of their codes (NoteCode's order), whoever made them,
so the terminal, the JSON and a test read them the same way every time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NoteCode(StrEnum):
    """Every kind of note, in the order a report lists them."""

    INTERRUPTED = "interrupted"  # how (Ctrl-C, SIGTERM), steps
    NO_LOSS = "no_loss"  # rules: the learning-rate rules that did not run
    POLICY_LOSS = "policy_loss"  # rules: those that read progress from the loss's level; judges: the policy's
    FINDING_UNVERIFIED = "finding_unverified"  # finding: "GSnnn name" that only a replay can confirm
    TOO_SHORT = "too_short"  # steps, skipped: "GS301 lr-too-high needs 4", ...
    NOTHING_HELPED = "nothing_helped"  # knob ("clip threshold" | "learning rate"), tried, spike, gain
    LR_ELSEWHERE = "lr_elsewhere"  # optimizer, family, low, high, wanted, tried, replayed
    LR_NO_NUMBER = "lr_no_number"  # optimizer, why: "not_a_number" | "zero"
    SLOW_PAYOFF = "slow_payoff"  # change, steps, before, after
    BUDGET_OUT = "budget_out"  # why
    UNTRIED = "untried"  # candidates
    NUMBERS_UNVERIFIED = "numbers_unverified"  # why: "no_script" | "no_verify" | "stopped"; by
    NOTHING_RECORDED = "nothing_recorded"
    SCALER_SKIPPED = "scaler_skipped"  # steps
    STORAGE_REPLACED = "storage_replaced"  # layers
    PLAN_SHORTFALL = "plan_shortfall"  # budget, steps, wanted, step_s
    STOPPED_AT_STEPS = "stopped_at_steps"  # steps
    STOPPED_BY_BUDGET = "stopped_by_budget"  # steps, budget
    ENDED_EARLY = "ended_early"  # steps, wanted
    OPTIMIZERS = "optimizers"  # optimizers: [{label, kind, layers}]
    UNEQUAL_STEPS = "unequal_steps"  # counts: [[label, count]], kept
    RENEWED = "renewed"  # kind, times, label
    RUN_UNVERIFIED = "run_unverified"
    SAID = "said"  # text: a note read back from a saved report, already worded


@dataclass(frozen=True)
class Voice:
    """Who recorded the run, as its notes speak of it.

    door:         "diagnose", "watch", "run", "lightning", "transformers" or "saved".
    script:       the script's short name under `gradscope run`.
    losses_apart: under `gradscope run`, losses were seen but each optimizer stepped on its own.
    """

    door: str = "watch"
    script: str = ""
    losses_apart: bool = False


@dataclass(frozen=True)
class Note:
    code: NoteCode
    fields: Mapping[str, Any] = field(default_factory=dict)

    def text(self, voice: Voice) -> str:
        return _WORDING[self.code](self.fields, voice)


def ordered(notes: tuple[Note, ...] | list[Note]) -> tuple[Note, ...]:
    """Notes in the order of their codes; notes of one code keep the order they were made in."""
    rank = {code: i for i, code in enumerate(NoteCode)}
    return tuple(sorted(notes, key=lambda n: rank[n.code]))


def _where(voice: Voice) -> str:
    return "inside the watch" if voice.door == "watch" else f"during the {voice.door} run"


def _no_loss(f: Mapping[str, Any], voice: Voice) -> str:
    head = f"no loss was recorded, so the learning-rate rules ({', '.join(f['rules'])}) did not run"
    if voice.door != "run":
        return f"{head}; pass it with w.loss(loss)"
    if voice.losses_apart:
        why = (
            "the optimizers step on different losses (adversarial or separate objectives), so there is "
            "no one loss curve to judge"
        )
    else:
        why = f"{voice.script} called backward() on no scalar before its steps"
    return f"{head}: {why}"


def _nothing_helped(f: Mapping[str, Any], _voice: Voice) -> str:
    removed = " or removed its spike" if f.get("spike") else ""
    # A bar above the usual one (a finding that rests on its replay) says how much was asked.
    by = f" by {f['gain']:.0%}" if f.get("gain") else ""
    return f"no {f['knob']} in {list(f['tried'])} lowered the loss{by}{removed}; none is recommended"


def _lr_elsewhere(f: Mapping[str, Any], _voice: Voice) -> str:
    usable = f"the range {f['optimizer']} is used at ({f['low']:g} to {f['high']:g}, {f['family']} optimizers)"
    cause = (
        "the cause lies elsewhere: steps out of scale with the weights, as an init or unscaled "
        "inputs make them; fix that first"
    )
    if f.get("wanted") is None:
        wanted = f"every rate the range test would try lies outside {usable}"
    else:
        wanted = f"the update ratios call for a learning rate of about {f['wanted']}, outside {usable}"
    if f["replayed"] and f["tried"]:
        return f"no learning rate in {list(f['tried'])} made the loss fall; {wanted}: none is recommended, {cause}"
    return f"{wanted}: none is recommended, {cause}"


def _lr_no_number(f: Mapping[str, Any], _voice: Voice) -> str:
    if f["why"] == "zero":
        why = "was 0 on the first measured step (a warm-up from 0?)"
    else:
        why = "is not a number (lr=None or no lr)"
    return (
        f"{f['optimizer']}'s learning rate {why}, so no learning rate was recommended; "
        "the findings stand on the update ratios and the loss alone"
    )


def _numbers_unverified(f: Mapping[str, Any], _voice: Voice) -> str:
    head = "numeric recommendations were not verified"
    if f["why"] == "no_script":
        return f"{head}: watch() has no script to replay"
    if f["why"] == "stopped":
        return f"{head}: {f['by']} stopped the run first"
    return f"{head} (--no-verify)"


def _storage_replaced(f: Mapping[str, Any], voice: Voice) -> str:
    again = "start a new watch" if voice.door == "watch" else "start a new run"
    return (
        f"a parameter's storage was replaced {_where(voice)} (p.data = ...) in {', '.join(f['layers'])}; "
        f"gradscope kept reading the old tensor, so those layers' figures after the swap are not "
        f"the model's: {again} after such a swap"
    )


def _optimizers(f: Mapping[str, Any], _voice: Voice) -> str:
    parts = []
    for o in f["optimizers"]:
        names = list(o["layers"])
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        parts.append(f"{o['label']} ({o['kind']}) steps {len(names)} layer(s): {shown or 'none'}")
    return f"{len(parts)} optimizers: " + "; ".join(parts)


_WORDING: dict[NoteCode, Callable[[Mapping[str, Any], Voice], str]] = {
    NoteCode.INTERRUPTED: lambda f, _: (
        f"interrupted ({f['how']}) after {f['steps']} measured step(s); the report covers them"
    ),
    NoteCode.NO_LOSS: _no_loss,
    NoteCode.POLICY_LOSS: lambda f, _: (
        "the script samples its actions from a policy, so its loss is a policy-gradient objective, whose "
        "level is no measure of progress (it falls as a value head fits while the policy collapses, and "
        f"changes sign with the advantages): {' and '.join(f['rules'])} did not read it, and "
        f"{' and '.join(f['judges'])} judged the policy's entropy instead of it"
    ),
    NoteCode.FINDING_UNVERIFIED: lambda f, _: (
        f"{f['finding']} rests on its evidence alone (not verified): only steps replayed from the same start "
        "at a larger learning rate can confirm it, which `gradscope diagnose` does on a model script"
    ),
    NoteCode.TOO_SHORT: lambda f, _: (
        f"the run is too short to judge everything: {f['steps']} step(s) recorded ({', '.join(f['skipped'])})"
    ),
    NoteCode.NOTHING_HELPED: _nothing_helped,
    NoteCode.LR_ELSEWHERE: _lr_elsewhere,
    NoteCode.LR_NO_NUMBER: _lr_no_number,
    NoteCode.SLOW_PAYOFF: lambda f, _: (
        f"{f['change']} did not lower the loss within {f['steps']} replayed steps "
        f"({f['before']:.3g} -> {f['after']:.3g}); such changes often need longer to pay off"
    ),
    NoteCode.BUDGET_OUT: lambda f, _: (
        f"the time budget ran out during verification ({f['why']}): the numbers from then on are "
        "not verified; raise --budget to replay them"
    ),
    NoteCode.UNTRIED: lambda f, _: f"the time budget left {', '.join(f['candidates'])} untried; chosen among the rest",
    NoteCode.NUMBERS_UNVERIFIED: _numbers_unverified,
    NoteCode.NOTHING_RECORDED: lambda _, v: f"no optimizer step was recorded {_where(v)}, so nothing was judged",
    NoteCode.SCALER_SKIPPED: lambda f, _: (
        f"GradScaler skipped {f['steps']} step(s) on inf/NaN gradients; they are counted, not recorded as updates"
    ),
    NoteCode.STORAGE_REPLACED: _storage_replaced,
    NoteCode.PLAN_SHORTFALL: lambda f, _: (
        f"the {f['budget']:g} s budget allowed {f['steps']} of {f['wanted']} measured steps "
        f"({f['step_s']:.2g} s a step): a problem that takes longer to show may be missed; "
        "raise --budget or give --steps to measure more"
    ),
    NoteCode.STOPPED_AT_STEPS: lambda f, v: (
        f"gradscope stopped {v.script} after {f['steps']} step(s), at a step boundary"
    ),
    NoteCode.STOPPED_BY_BUDGET: lambda f, v: (
        f"gradscope stopped {v.script} after {f['steps']} step(s), at a step boundary, when its "
        f"--budget of {f['budget']:g} s ran out"
    ),
    NoteCode.ENDED_EARLY: lambda f, v: f"{v.script} ended after {f['steps']} step(s), before --steps {f['wanted']}",
    NoteCode.OPTIMIZERS: _optimizers,
    NoteCode.UNEQUAL_STEPS: lambda f, _: (
        "the optimizers stepped unequally often ("
        + ", ".join(f"{label} {count}" for label, count in f["counts"])
        + f" recorded steps); the report sets their first {f['kept']} side by side"
    ),
    NoteCode.RENEWED: lambda f, v: (
        f"{v.script} built a new {f['kind']} over the same parameters "
        f"{f['times']} time(s); its steps are measured as one series ({f['label']})"
    ),
    NoteCode.RUN_UNVERIFIED: lambda _, v: (
        f"the recommendations are not verified: gradscope run cannot replay {v.script}'s own loop; to "
        "verify them, write a model script (model, data, optimizer) for the same model and run "
        "`gradscope diagnose model.py`"
    ),
    NoteCode.SAID: lambda f, _: str(f["text"]),
}
