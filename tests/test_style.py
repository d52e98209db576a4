"""Every status, verdict and severity has its colour, its place in the order and its words.

A value added to one of the enums without a row in the style tables would crash
the terminal report or the plots on the first run that meets it; these tests
meet every value at once.
"""

from __future__ import annotations

import pytest
from harness import ROOT

from gradscope.data.records import LayerStatus, Severity, Verdict
from gradscope.diagnosis import STATUS_PRECEDENCE, VERDICT_ORDER
from gradscope.render.console.style import (
    SEVERITY_STYLES,
    STATUS_COLORS,
    STATUS_ORDER,
    VERDICT_MEANINGS,
    VERDICT_STYLES,
    status_rank,
)

CONTRACT = (ROOT / "docs" / "contract.md").read_text()


@pytest.mark.parametrize("status", list(LayerStatus), ids=str)
def test_every_status_has_its_colour_its_place_and_its_words(status: LayerStatus) -> None:
    assert STATUS_COLORS[status].startswith("#")
    assert STATUS_ORDER.count(status) == 1
    assert status_rank(status) == STATUS_ORDER.index(status)
    assert f"`{status.value}`" in CONTRACT, f"docs/contract.md does not say what `{status.value}` means"


@pytest.mark.parametrize("verdict", list(Verdict), ids=str)
def test_every_verdict_has_its_colour_its_place_and_its_words(verdict: Verdict) -> None:
    assert VERDICT_STYLES[verdict]
    assert VERDICT_MEANINGS[verdict]
    assert VERDICT_ORDER.count(verdict) == 1
    assert f"`{verdict.value}`" in CONTRACT, f"docs/contract.md does not say what `{verdict.value}` means"


@pytest.mark.parametrize("severity", list(Severity), ids=str)
def test_every_severity_has_its_style(severity: Severity) -> None:
    assert SEVERITY_STYLES[severity]


def test_the_tables_hold_nothing_else() -> None:
    assert set(STATUS_COLORS) == set(LayerStatus)
    assert set(VERDICT_STYLES) == set(VERDICT_MEANINGS) == set(Verdict)
    assert set(SEVERITY_STYLES) == set(Severity)


def test_one_order_of_statuses_most_serious_first() -> None:
    assert tuple(LayerStatus) == STATUS_ORDER
    assert STATUS_ORDER[0] is LayerStatus.NONFINITE and STATUS_ORDER[-1] is LayerStatus.HEALTHY
    # The diagnosis settles a layer's status by the same order, with one exception it states:
    # a frozen layer stays frozen, since it has no gradient to judge.
    assert STATUS_PRECEDENCE[0] is LayerStatus.FROZEN
    assert tuple(s for s in STATUS_PRECEDENCE if s is not LayerStatus.FROZEN) == tuple(
        s for s in STATUS_ORDER if s is not LayerStatus.FROZEN
    )


def test_verdicts_most_serious_first() -> None:
    assert tuple(Verdict) == VERDICT_ORDER
    assert VERDICT_ORDER[0] is Verdict.NONFINITE and VERDICT_ORDER[-1] is Verdict.HEALTHY
