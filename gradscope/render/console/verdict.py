"""The verdict line: the one line that answers "is it healthy?"."""

from __future__ import annotations

from rich.text import Text

from gradscope.data.records import LayerStatus, Report, Severity, Verdict
from gradscope.render.console.glyphs import UNICODE, Glyphs
from gradscope.render.console.style import VERDICT_MEANINGS, VERDICT_STYLES, status_rank


def verdict_line(report: Report, g: Glyphs = UNICODE) -> Text:
    """The one line that answers "is it healthy?"; also all that --quiet prints."""
    flagged: dict[LayerStatus, int] = {}
    for status in report.statuses:
        if status is not LayerStatus.HEALTHY:
            flagged[status] = flagged.get(status, 0) + 1
    parts = [f"verdict: {report.verdict.value}", VERDICT_MEANINGS[report.verdict]]
    total = len(report.statuses)
    ranked = sorted(flagged.items(), key=lambda item: status_rank(item[0]))
    if len(ranked) == 1:
        parts.append(f"{ranked[0][1]}/{total} layers {ranked[0][0].value}")
    elif ranked:
        detail = ", ".join(f"{n} {s.value}" for s, n in ranked)
        parts.append(f"{sum(flagged.values())}/{total} layers flagged: {detail}")
    if report.verdict is Verdict.HEALTHY:
        # The verdict already names the problem; a healthy run's findings are what is left to say.
        counts = [
            (sev, sum(1 for f in report.findings if f.severity is sev and f.withdrawn is None)) for sev in Severity
        ]
        found = [f"{n} {sev.value}{'s' if n > 1 else ''}" for sev, n in sorted(counts, key=_most_severe) if n]
        parts.append(", ".join(found) or "no findings")
    return Text(f" {g.dot} ".join(parts), style=VERDICT_STYLES[report.verdict])


def _most_severe(count: tuple[Severity, int]) -> int:
    return -count[0].rank
