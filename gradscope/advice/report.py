"""The one core: a door's RunRecord in, the Report out; and the exit code a report earns.

Every door (`diagnose`, `run`, `watch`, the framework callbacks) records its run through the
one recorder and hands the record here with a `Source`: what the door can replay (only
`diagnose` has a script to replay), the notes only the door can know, how it was stopped,
and whose words the notes are said in. `assemble` judges the record, runs the remedies the
rules declare (replaying them where the door can), marks a stopped run partial, and returns
the Report every renderer consumes. The doors differ in their Source, never in how a report
is built.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from gradscope.advice.budget import Clock
from gradscope.advice.recommend import Advice, recommend
from gradscope.advice.replay import Replayer, Replays
from gradscope.config import FailOn
from gradscope.data.notes import Note, Voice, ordered
from gradscope.data.records import Report, RunRecord, Severity
from gradscope.diagnosis import Diagnosis, diagnose
from gradscope.errors import EXIT_FINDINGS, EXIT_OK

# The actions whose numbers a replay checks: without one, the report says they are unverified.
NUMERIC = frozenset({"clip_grad_norm", "learning_rate"})


@dataclass(frozen=True)
class Source:
    """What a door hands the core beside its record.

    voice:      whose words the notes are said in (the door, the script's name).
    replays:    the door's means to replay its steps from the same start (the diagnose session);
                None: the numbers go unverified, and `unverified` says why.
    clock:      the time budget replays must fit in; a stop it was asked for marks the run partial.
    unverified: the note a report without replays gets when it recommends something ...
    numbers_only: ... only for numeric recommendations (the clip threshold, the learning rate).
    notes:      what only the door knows (a stopped script, skipped GradScaler steps).
    cut:        the run was stopped early, and where: the report is marked partial.
    started:    when the door's command started: the run's wall time becomes the whole command's.
    """

    voice: Voice
    replays: Replays | None = None
    clock: Clock | None = None
    progress: Callable[[str, int, int], None] | None = None
    unverified: Note | None = None
    numbers_only: bool = True
    notes: tuple[Note, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)
    cut: str | None = None
    started: float | None = None


def _replayer(record: RunRecord, diagnosis: Diagnosis, source: Source) -> Replayer | None:
    if source.replays is None:
        return None
    plan = source.clock.plan if source.clock is not None else None
    steps = plan.replay_steps if plan is not None else len(record.steps)
    return Replayer(source.replays, steps, tuple(diagnosis.facts.losses), source.progress, source.clock)


def _notes(diagnosis: Diagnosis, advice: Advice, source: Source) -> tuple[Note, ...]:
    notes = [*diagnosis.notes, *advice.notes, *source.notes]
    recs = advice.recommendations
    unverified = [r for r in recs if r.action in NUMERIC] if source.numbers_only else list(recs)
    if not advice.replayed and unverified and source.unverified is not None:
        notes.append(source.unverified)
    return ordered(notes)


def _as_ended(record: RunRecord, source: Source) -> RunRecord:
    """The run as it ended: stopped early (and where), and the whole command's wall time."""
    run = record.run
    clock = source.clock
    if source.cut is not None:
        run = replace(run, partial=True, cut=source.cut)
    elif clock is not None:
        stopped = clock.stop_requested is not None
        run = replace(run, partial=stopped, cut=clock.cut if stopped else None)
    if source.started is not None:
        run = replace(run, wall_s=round(time.perf_counter() - source.started, 3))
    return record if run == record.run else replace(record, run=run)


def assemble(record: RunRecord, source: Source) -> Report:
    """Judge a record, recommend (replaying where the source can) and build the Report.

    Raises budget.Stopped when a stop is asked for while replaying: the door then assembles
    again without replays, so the judgement stands and the numbers go unverified.
    """
    diagnosis = diagnose(record)
    advice = recommend(record, diagnosis, _replayer(record, diagnosis, source))
    return Report(
        record=_as_ended(record, source),
        verdict=advice.verdict,
        statuses=advice.statuses,
        findings=advice.findings,
        recommendations=advice.recommendations,
        notes=_notes(diagnosis, advice, source),
        extra=dict(source.extra),
        voice=source.voice,
    )


def exit_code(report: Report, fail_on: FailOn) -> int:
    """1 when some finding that stands is at or above the --fail-on severity, else 0."""
    if fail_on is FailOn.NEVER:
        return EXIT_OK
    bar = Severity(fail_on.value).rank
    standing = (f for f in report.findings if f.withdrawn is None)
    return EXIT_FINDINGS if any(f.severity.rank >= bar for f in standing) else EXIT_OK
