"""PNG plots: real images of the promised size, not blank, for 5 layers and for 600, NaN-safe."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from harness import ROOT
from matplotlib.figure import Figure
from matplotlib.image import imread
from render_helpers import S, big_report, exploding_report, healthy_report, make_report, vanishing_report

from gradscope.data.records import Report, Verdict
from gradscope.render.plots import MAX_TICKS, PLOTS, write_plots

SIZES = {plot.name: plot.size for plot in PLOTS}


def draw(name: str, report: Report) -> Figure:
    """The figure of the plot written as `name`."""
    return next(plot for plot in PLOTS if plot.name == name).figure(report)


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pixels = imread(path)
    width, height = SIZES[path.name]
    assert pixels.shape[:2] == (height, width), f"{path.name} is {pixels.shape[1]}x{pixels.shape[0]}"
    assert float(pixels.std()) > 0.01, f"{path.name} is blank"
    # One integer per pixel, so counting colours is a 1-D unique (fast), not a row-wise one.
    channels = (pixels.reshape(-1, pixels.shape[-1]) * 255).astype(np.uint32)
    packed = sum(channels[:, c] << (8 * c) for c in range(channels.shape[1]))
    colours = np.unique(packed).size
    assert colours > 8, f"{path.name} has {colours} colours"


@pytest.mark.parametrize(
    "factory", [healthy_report, vanishing_report, exploding_report, big_report], ids=lambda f: f.__name__
)
def test_every_plot_is_a_real_png_of_the_promised_size(factory: Callable[[], Report], tmp_path: Path) -> None:
    written = write_plots(factory(), tmp_path / "plots")
    assert sorted(p.name for p in written) == sorted(SIZES)
    for path in written:
        _check_png(path)
    assert not list((tmp_path / "plots").glob(".*.tmp")), "temp files left behind"


def test_degenerate_reports_do_not_crash(tmp_path: Path) -> None:
    no_steps = make_report([S.HEALTHY, S.FROZEN], steps=0)
    all_nan = make_report([S.NONFINITE] * 3, steps=2, verdict=Verdict.NONFINITE, loss=[math.nan, math.inf])
    one_layer = make_report([S.UNUSED], steps=1)
    for k, report in enumerate((no_steps, all_nan, one_layer)):
        for path in write_plots(report, tmp_path / str(k)):
            _check_png(path)


def test_600_layer_axes_keep_at_most_max_ticks_and_name_problem_layers() -> None:
    report = big_report()
    flow = draw("gradient_flow.png", report)
    ticks = [t.get_text() for t in flow.axes[1].get_xticklabels()]
    assert 2 <= len(ticks) <= MAX_TICKS
    # Each run of problem layers gets a tick at its start (598 is too close to 599 to get its own).
    assert {"0", "37", "250", "310", "401", "599"} <= set(ticks)
    heat = draw("update_heatmap.png", report)
    labels = [t.get_text() for t in heat.axes[0].get_yticklabels()]
    assert len(labels) <= MAX_TICKS
    assert any(label.startswith("401: ") for label in labels)


def test_clip_threshold_is_drawn_on_the_gradient_norm_panel() -> None:
    fig = draw("loss_gradnorm.png", exploding_report())
    norm_axes = fig.axes[1]
    flat = [line for line in norm_axes.get_lines() if np.allclose(np.asarray(line.get_ydata(), float), 1.0)]
    assert flat, "the max_norm=1 line is missing"


def test_verification_draws_one_line_per_verified_recommendation_or_says_none_was() -> None:
    fig = draw("verification.png", exploding_report())
    labels = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    assert any(label.startswith("as it is") for label in labels)
    assert sum("with clip_grad_norm max_norm=1" in label for label in labels) == 1
    assert sum("NOT improved" in label for label in labels) == 1
    empty = draw("verification.png", healthy_report())
    texts = [t.get_text() for ax in empty.axes for t in ax.texts]
    assert "No numeric recommendation was verified." in texts


def test_plotting_never_touches_pyplot(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from render_helpers import vanishing_report\n"
        "from gradscope.render.plots import write_plots\n"
        f"write_plots(vanishing_report(), {str(tmp_path)!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    root = ROOT
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
