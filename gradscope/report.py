"""Report-level decisions: the exit code a report earns under --fail-on."""

from __future__ import annotations

from gradscope.config import FailOn
from gradscope.types import Report, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1


def exit_code(report: Report, fail_on: FailOn) -> int:
    """1 when some finding is at or above the --fail-on severity, else 0."""
    if fail_on is FailOn.NEVER:
        return EXIT_OK
    bar = Severity(fail_on.value).rank
    return EXIT_FINDINGS if any(f.severity.rank >= bar for f in report.findings) else EXIT_OK
