"""The terminal report: golden text, the one-screen invariant, colour rules, the progress bar.

Golden files are the report as printed on a plain 100-column console; rewrite
them with `pytest tests/render/test_render_terminal.py --overwrite` and read the
diff before committing.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from harness import GOLDEN
from render_helpers import (
    S,
    big_report,
    exploding_report,
    healthy_report,
    make_report,
    many_flagged_report,
    render_text,
    vanishing_report,
)
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gradscope.data.records import LayerStatus, Report
from gradscope.render.console.glyphs import UNICODE
from gradscope.render.console.names import name_range
from gradscope.render.console.progress import progress_bar
from gradscope.render.console.rows import Row, plan_rows
from gradscope.render.console.table import ratio_bar
from gradscope.render.terminal import SCREEN_LINES, print_report, report_lines

REPORTS: dict[str, Callable[[], Report]] = {
    "healthy": healthy_report,
    "vanishing": vanishing_report,
    "exploding": exploding_report,
    "big600": big_report,
    "many600": many_flagged_report,
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_matches_golden(name: str, update_golden: bool) -> None:
    text = render_text(REPORTS[name]())
    golden = GOLDEN / f"terminal_{name}.txt"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run pytest --overwrite"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; inspect, then --overwrite"


# ---------------------------------------------------------------- the table's rows


def _console(width: int) -> Console:
    return Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)


def _table_rows(report: Report, width: int) -> list[tuple[int, str]]:
    """(first layer index, layer cell text) of each table row, read from the rich Table itself."""
    lines = report_lines(report, _console(width))
    table = next(line.renderable for line in lines if isinstance(line.renderable, Table))
    starts = [int(str(cell)) for cell in table.columns[0].cells]
    labels = [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.columns[1].cells]
    return list(zip(starts, labels, strict=True))


@pytest.mark.parametrize("factory", [big_report, many_flagged_report, vanishing_report, healthy_report])
@pytest.mark.parametrize("width", [80, 100, 160])
def test_every_layer_is_named_or_counted_and_the_report_fits(factory: Callable[[], Report], width: int) -> None:
    report = factory()
    layers = report.record.layers
    rows = _table_rows(report, width)
    starts = [start for start, _ in rows]
    assert starts[0] == 0
    assert starts == sorted(set(starts)), "rows must follow model order without overlap"
    covered = 0
    for k, (start, label) in enumerate(rows):
        stop = starts[k + 1] if k + 1 < len(rows) else len(layers)
        size = stop - start
        covered += size
        if size == 1:
            # Named in full: never cut, never shortened.
            assert label.split(" (shared with")[0] == layers[start].name
            continue
        assert str(size) in label, f"collapsed row {label!r} does not count its {size} layers"
        statuses = set(report.statuses[start:stop])
        if statuses != {S.HEALTHY}:
            # Problem layers only ever merge into rows that name the range they cover.
            assert name_range(layers[start].name, layers[stop - 1].name, UNICODE) in label
    assert covered == len(layers)
    text = render_text(report, width=width)
    assert len(text.splitlines()) <= SCREEN_LINES, f"{len(text.splitlines())} lines at width {width}"


# At 80 columns long names fold over three lines, and same-status neighbours
# may share a row (named by their ends); the test above still holds there.
@pytest.mark.parametrize("width", [100, 160])
def test_600_layers_with_few_problems_name_every_problem_layer(width: int) -> None:
    report = big_report()
    rows = _table_rows(report, width)
    named = {label for _, label in rows}
    for layer, status in zip(report.record.layers, report.statuses, strict=True):
        if status is not LayerStatus.HEALTHY:
            assert layer.name in named, f"{layer.name} ({status}) is not on a row of its own"
    assert len(render_text(report, width=width).splitlines()) <= SCREEN_LINES


def test_small_models_are_listed_layer_by_layer() -> None:
    report = vanishing_report()
    rows = _table_rows(report, 100)
    assert [label for _, label in rows] == [layer.name for layer in report.record.layers]


def test_long_names_are_folded_never_truncated() -> None:
    long = "encoder.layers.11.self_attention.output_projection.parametrizations.weight"
    names = [long + ".original0", long + ".original1", "head"]
    report = make_report([S.VANISHING, S.HEALTHY, S.HEALTHY], names=names)
    for width in (60, 100):
        rows = _table_rows(report, width)
        assert [label for _, label in rows] == names
        text = render_text(report, width=width)
        assert "original0" in text
        assert "original1" in text


# ---------------------------------------------------------------- plan_rows


def test_plan_rows_keeps_every_layer_when_it_fits() -> None:
    statuses = [S.HEALTHY, S.VANISHING, S.HEALTHY]
    assert plan_rows(statuses, 10) == [Row(i, i + 1, (s,)) for i, s in enumerate(statuses)]


def test_plan_rows_merges_healthy_runs_before_problem_runs() -> None:
    statuses = [S.VANISHING] * 3 + [S.HEALTHY] * 50 + [S.DEAD] + [S.HEALTHY] * 20
    rows = plan_rows(statuses, 10)
    assert len(rows) <= 10
    problem_rows = [r for r in rows if r.status is not S.HEALTHY]
    assert all(not r.collapsed for r in problem_rows)
    assert sum(r.size for r in rows) == len(statuses)


def test_plan_rows_merges_problem_runs_by_status_then_mixed_only_as_a_last_resort() -> None:
    statuses = [S.VANISHING] * 100 + [S.EXPLODING] * 100
    rows = plan_rows(statuses, 4)
    assert len(rows) <= 4
    assert not any(r.mixed for r in rows)
    alternating = [S.DEAD if i % 2 else S.VANISHING for i in range(100)]
    rows = plan_rows(alternating, 5)
    assert len(rows) == 5
    assert sum(r.size for r in rows) == 100
    assert [r.start for r in rows] == sorted(r.start for r in rows)


def test_plan_rows_without_merging_problems_is_the_fewest_rows_naming_them() -> None:
    statuses = [S.HEALTHY] * 10 + [S.VANISHING] * 5 + [S.HEALTHY] * 10
    rows = plan_rows(statuses, 0, merge_flagged=False)
    assert [r.size for r in rows] == [10, 1, 1, 1, 1, 1, 10]


# ---------------------------------------------------------------- pieces


def test_quiet_prints_only_the_verdict_line() -> None:
    text = render_text(vanishing_report(), width=40, quiet=True)
    assert text.count("\n") == 1
    assert text.startswith("verdict: vanishing")


def test_ratio_bar_is_logarithmic_and_marks_zero_and_nonfinite() -> None:
    lengths = [len(ratio_bar(v, UNICODE).plain.rstrip()) for v in (1e-9, 1e-6, 1e-3, 1e-1)]
    assert lengths == sorted(lengths)
    assert lengths[0] < lengths[-1]
    assert ratio_bar(0.0, UNICODE).plain.strip() == UNICODE.dot
    assert set(ratio_bar(float("nan"), UNICODE).plain) == {"!"}


def test_header_findings_recommendations_and_notes_are_printed() -> None:
    text = render_text(exploding_report())
    assert "SGD lr 0.001" in text
    assert "GS102 exploding-gradient error" in text
    assert "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)" in text
    assert "verified: loss 30 → 0.8 (-97%) ✓ improved" in text
    assert "✗ not improved" in text
    healthy = render_text(healthy_report())
    assert "default Adam(lr=0.001)" in healthy
    assert "note: measured on 6 steps" in healthy


def test_code_to_paste_is_never_wrapped() -> None:
    text = render_text(exploding_report(), width=40)
    assert "    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)\n" in text


def test_no_color_and_plain_output_have_no_colour_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    colour = re.compile(r"\x1b\[(3[0-9]|38;)")
    forced = io.StringIO()
    print_report(exploding_report(), console=Console(file=forced, force_terminal=True, color_system="truecolor"))
    assert colour.search(forced.getvalue()), "a colour terminal should get colours"
    piped = io.StringIO()
    print_report(exploding_report(), console=Console(file=piped))
    assert "\x1b[" not in piped.getvalue(), "output that is not a terminal must be plain"
    monkeypatch.setenv("NO_COLOR", "1")
    no_color = io.StringIO()
    print_report(exploding_report(), console=Console(file=no_color, force_terminal=True))
    assert not colour.search(no_color.getvalue())


def test_ascii_terminal_gets_ascii_glyphs() -> None:
    raw = io.BytesIO()
    handle = io.TextIOWrapper(raw, encoding="ascii")
    print_report(exploding_report(), console=Console(file=handle, width=100))
    handle.flush()
    assert "verdict: nonfinite" in raw.getvalue().decode("ascii")


def test_a_run_without_steps_shows_no_figures_rather_than_nan() -> None:
    text = render_text(make_report([S.HEALTHY, S.FROZEN], steps=0))
    assert "NaN" not in text
    assert "!" not in text


def test_printing_a_report_shows_the_terminal_report_without_colour() -> None:
    # The README promises `print(w.report())` reads like `gradscope diagnose`.
    report = vanishing_report()
    text = str(report)
    assert text.startswith("gradscope · ")
    assert "verdict: vanishing" in text and "GS101 vanishing-gradient" in text
    assert "\x1b[" not in text
    assert [line.rstrip() for line in text.splitlines()] == render_text(report).splitlines()


def test_the_terminal_report_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import gradscope.render.terminal, gradscope.render.console.progress\n"
        "heavy = [m for m in ('torch', 'pandas', 'matplotlib', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- progress bar


def test_progress_bar_is_silent_when_disabled_or_not_a_terminal() -> None:
    for enabled, terminal in ((False, True), (True, False)):
        out = io.StringIO()
        with progress_bar(enabled, console=Console(file=out, force_terminal=terminal)) as progress:
            progress("measuring", 1, 3)
        assert out.getvalue() == ""


def test_progress_bar_draws_each_phase_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with progress_bar(True, console=console) as progress:
        for done in range(1, 4):
            progress("measuring", done, 3)
        progress("verify clip_grad_norm", 1, 0)  # an unknown total must not crash
    assert "measuring" in out.getvalue()
    assert "verify clip_grad_norm" in out.getvalue()
