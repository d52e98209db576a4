"""What every remedy maker works with: the record, its diagnosis, and the replays while they last.

An Advisor holds one diagnosis's advice in the making: the notes it has to add, the findings
a replay set aside, and the replayer (when the door can replay) until the time budget runs
out. The makers in numbers.py and changes.py ask it to replay a change and to say how a
number was checked, so every recommendation states honestly whether it was verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gradscope.advice.budget import OutOfTime
from gradscope.advice.replay import Bar, Change, Replayer, Trial
from gradscope.data.notes import Note
from gradscope.data.records import RunRecord, Verified
from gradscope.diagnosis import Diagnosis


@dataclass
class Advisor:
    record: RunRecord
    diagnosis: Diagnosis
    replayer: Replayer | None = None
    notes: list[Note] = field(default_factory=list)
    withdrawn: dict[str, str] = field(default_factory=dict)  # code -> why a replay set the finding aside
    out_of_time: str | None = None  # why the budget ended verification, once it did
    # Findings whose number could not be tried at all (an lr that is not a number): no replay
    # spoke against them, so none withdraws them.
    untried: set[str] = field(default_factory=set)
    # Codes of findings that only a replay can confirm and none ran: they stand as warnings.
    unconfirmed: set[str] = field(default_factory=set)

    @property
    def replaying(self) -> bool:
        """Whether numbers are still checked by replays (a session, and budget left for them)."""
        return self.replayer is not None and self.out_of_time is None

    @property
    def replay_steps(self) -> int:
        return self.replayer.steps if self.replayer is not None else len(self.record.steps)

    def spent(self, exc: OutOfTime) -> None:
        """The budget ran out: the rest of the numbers are given unverified, and the report says so."""
        if self.out_of_time is None:
            self.out_of_time = str(exc)

    def best(
        self,
        kind: str,
        values: list[float],
        conservative_first: bool,
        bar: Bar,
        likely: Sequence[float] = (),
        lr_base: float | None = None,
    ) -> tuple[Trial, Verified] | None:
        """The clip threshold or LR factor among `values` whose replay meets `bar` and beats the
        measured run most. `lr_base`: the rate the factors multiply where the optimizer's lr is not
        a number (replay.Change)."""
        assert self.replayer is not None
        candidates = [
            (f"{kind}={v:g}", Change(clip=v) if kind == "clip" else Change(lr_scale=v, lr_base=lr_base), v)
            for v in values
        ]
        chosen, _ = self.replayer.best(candidates, conservative_first, bar, likely)
        return None if chosen is None else (chosen, self.replayer.verified(chosen, bar))

    def replayed(self, what: str) -> str:
        """The sentence saying how a change was checked, only when it really was."""
        # Asked just before check() replays the change, so the text says what check() will do.
        return f". Replayed with {what}" if self.replaying and self.replayer and self.replayer.affordable() else ""

    def check(self, change: Change, label: str, bar: Bar | None = None) -> Verified | None:
        """Replay a change to the model (not a number) when a session and the budget allow,
        judged by `bar` (the usual one when None)."""
        if self.replayer is None or not self.replaying:
            return None
        try:
            return self.replayer.verified(self.replayer.replay(label, change), bar or Bar())
        except OutOfTime as exc:
            self.spent(exc)
            return None
