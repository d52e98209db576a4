"""Report-level decisions: the exit code a report earns under --fail-on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from gradscope.config import FailOn
from gradscope.data.records import Report, RunRecord, Severity

if TYPE_CHECKING:
    from gradscope.advice.budget import Clock
    from gradscope.doors.session import Session

EXIT_OK = 0
EXIT_FINDINGS = 1


def build_report(
    record: RunRecord,
    session: Session | None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    replay: bool = True,
    notes: tuple[str, ...] = (),
    extra: Mapping[str, object] | None = None,
    clock: Clock | None = None,
) -> Report:
    """Judge a record, recommend (replaying on `session` when given) and assemble the Report.

    `diagnose` and `watch` both end here, so their reports are built the same way.
    """
    from gradscope.advice.recommend import recommend
    from gradscope.diagnosis import diagnose

    diagnosis = diagnose(record)
    recs, findings, verdict, statuses, rec_notes = recommend(
        record, diagnosis, session, progress, replay=replay, clock=clock
    )
    return Report(
        record=record,
        verdict=verdict,
        statuses=statuses,
        findings=findings,
        recommendations=recs,
        notes=(*diagnosis.notes, *rec_notes, *notes),
        extra=dict(extra or {}),
    )


def exit_code(report: Report, fail_on: FailOn) -> int:
    """1 when some finding that stands is at or above the --fail-on severity, else 0."""
    if fail_on is FailOn.NEVER:
        return EXIT_OK
    bar = Severity(fail_on.value).rank
    standing = (f for f in report.findings if f.withdrawn is None)
    return EXIT_FINDINGS if any(f.severity.rank >= bar for f in standing) else EXIT_OK
