"""PNG plots of one Report: gradient flow, update heatmap, loss and gradient norm, verification.

Drawn with matplotlib's object API on the Agg canvas (`Figure` +
`FigureCanvasAgg`), never pyplot: no global figure state, no GUI backend, safe
in threads and in a process that already uses pyplot for something else.

Every plot is one entry of PLOTS: its file name, its pixel size (fixed
whatever the model's depth) and the function that draws it. Tick
labels are thinned to at most MAX_TICKS, problem layers first, and names are
shortened from the left (the block index and the leaf stay), so 3 layers and
600 layers both stay readable. Legends sit outside the axes so they never hide
data. Non-finite values are never dropped silently: a zero that a log axis
cannot show is drawn at the bottom edge as a down triangle, a NaN/Inf at the
top edge as a cross, each with a legend entry. Each file is written whole or
not at all (files.write_atomic).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap, ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from gradscope.data.records import LayerStatus, Recommendation, Report
from gradscope.data.summary import LayerFigures
from gradscope.errors import UsageError
from gradscope.render import Renderer
from gradscope.render.console.rows import runs
from gradscope.render.console.style import HEALTHY_BAND, STATUS_COLORS, STATUS_ORDER, fmt, shorten_path
from gradscope.render.files import write_atomic

Array = npt.NDArray[np.float64]

DPI = 100
MAX_TICKS = 40
NAME_CHARS = 30
ZERO_COLOR = "#3a3a3a"
NONFINITE_COLOR = STATUS_COLORS[LayerStatus.NONFINITE]
LINE_COLOR = "#1f77b4"
POLICY_COLOR = "#9467bd"
# Recommendation lines in the verification plot; the baseline is black.
LINE_COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#bcbd22")
# A single problem layer among hundreds is tinted at least this share of the axis wide.
MIN_SPAN = 1 / 250


@dataclass(frozen=True)
class Plot:
    """One PNG of the report."""

    name: str  # the file written
    size: tuple[int, int]  # width, height in pixels
    draw: Callable[[Figure, Report], None]

    def figure(self, report: Report) -> Figure:
        width, height = self.size
        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        self.draw(fig, report)
        return fig


def write_plots(report: Report, directory: Path | str) -> list[Path]:
    """Draw every plot of the report into `directory`; returns the files written."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file; --plots takes a folder")
    written = []
    for plot in PLOTS:
        path = directory / plot.name
        _save(plot.figure(report), path)
        written.append(path)
    return written


# ---------------------------------------------------------------- helpers


def _save(fig: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    # No bbox_inches="tight": it would change the pixel size from figure to figure.
    fig.savefig(buffer, format="png", dpi=DPI)
    write_atomic(path, buffer.getvalue())


def _title(fig: Figure, report: Report, what: str) -> None:
    script = Path(report.record.run.script).name if report.record.run.script else "watched run"
    fig.suptitle(f"{what} - {script} (verdict: {report.verdict.value})", fontsize=14, fontweight="bold")


def _ticks(n: int, limit: int = MAX_TICKS) -> list[int]:
    """At most `limit` evenly spaced indices of 0..n-1, always the first and the last."""
    if n <= limit:
        return list(range(n))
    step = math.ceil((n - 1) / (limit - 1))
    ticks = list(range(0, n - 1, step))
    if n - 1 - ticks[-1] < step / 2:
        ticks.pop()  # the last tick would crowd the one before
    return [*ticks, n - 1]


def _layer_ticks(statuses: Sequence[LayerStatus], limit: int = MAX_TICKS) -> list[int]:
    """Tick positions for a layer axis: every problem run's first layer first, then even spacing."""
    n = len(statuses)
    if n <= limit:
        return list(range(n))
    gap = n / (limit + 8)
    problems = [(start, statuses[start]) for start, _ in runs(statuses) if statuses[start] is not LayerStatus.HEALTHY]
    problems.sort(key=lambda run: STATUS_ORDER.index(run[1]))
    chosen: list[int] = []
    for start, _ in problems:
        if len(chosen) >= limit // 2:
            break
        if all(abs(start - c) >= gap for c in chosen):
            chosen.append(start)
    for i in _ticks(n, limit):
        if len(chosen) >= limit:
            break
        if all(abs(i - c) >= gap for c in chosen):
            chosen.append(i)
    return sorted(chosen)


def _colour_ticks(labels: Sequence[object], ticks: Sequence[int], statuses: Sequence[LayerStatus]) -> None:
    for label, i in zip(labels, ticks, strict=False):
        if statuses[i] is not LayerStatus.HEALTHY:
            label.set_color(STATUS_COLORS[statuses[i]])  # type: ignore[attr-defined]
            label.set_fontweight("bold")  # type: ignore[attr-defined]


def _layer_label(report: Report, i: int, with_index: bool) -> str:
    name = shorten_path(report.record.layers[i].name, NAME_CHARS)
    return f"{i}: {name}" if with_index else name


def _log_limits(values: Sequence[float] | Array, extra: Sequence[float] = ()) -> tuple[float, float]:
    """Log-axis limits a little beyond the positive finite values (and `extra`)."""
    data = np.asarray([*np.asarray(values, dtype=float).ravel(), *extra], dtype=float)
    positive = data[np.isfinite(data) & (data > 0)]
    if positive.size == 0:
        return 1e-3, 1e1
    low, high = float(positive.min()), float(positive.max())
    return low / 5, high * 5


def _plot_log_series(
    ax: Axes, x: Array, y: Array, *, color: str, label: str, limits: tuple[float, float], **style: object
) -> tuple[bool, bool]:
    """A line on a log axis; zeros at the bottom edge (v), NaN/Inf at the top edge (X).

    Returns whether any zero and any non-finite value was marked, for the legend.
    """
    low, high = limits
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    finite = np.isfinite(y) & (y > 0)
    ax.plot(x, np.where(finite, y, np.nan), color=color, label=label, **style)  # type: ignore[arg-type]
    zeros = np.isfinite(y) & (y <= 0)
    bad = ~np.isfinite(y)
    if zeros.any():
        edge = low * (high / low) ** 0.02
        ax.plot(x[zeros], np.full(int(zeros.sum()), edge), "v", color=ZERO_COLOR, ms=8, zorder=6, clip_on=False)
    if bad.any():
        edge = high / (high / low) ** 0.02
        ax.plot(x[bad], np.full(int(bad.sum()), edge), "X", color=NONFINITE_COLOR, ms=10, zorder=6, clip_on=False)
    return bool(zeros.any()), bool(bad.any())


def _plot_linear_series(ax: Axes, x: Array, y: Array, *, color: str, label: str, **style: object) -> bool:
    """A line on a linear axis; NaN/Inf become crosses along the top edge. Returns whether any was."""
    finite = np.isfinite(y)
    ax.plot(x, np.where(finite, y, np.nan), color=color, label=label, **style)  # type: ignore[arg-type]
    if not (~finite).any():
        return False
    low, high = (float(y[finite].min()), float(y[finite].max())) if finite.any() else (0.0, 1.0)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    ax.set_ylim(low - pad, high + 2 * pad)
    ax.plot(
        x[~finite],
        np.full(int((~finite).sum()), high + 1.5 * pad),
        "X",
        color=NONFINITE_COLOR,
        ms=10,
        zorder=6,
    )
    return True


def _wants_log(values: Array) -> bool:
    """Log scale when the finite values are positive and span more than two decades."""
    finite = values[np.isfinite(values)]
    return bool(finite.size and (finite > 0).all() and finite.max() / finite.min() > 100)


def _edge_legend(zero: bool, bad: bool) -> list[Line2D]:
    handles = []
    if zero:
        handles.append(Line2D([], [], ls="", marker="v", color=ZERO_COLOR, label="zero (at the bottom edge)"))
    if bad:
        handles.append(Line2D([], [], ls="", marker="X", color=NONFINITE_COLOR, label="NaN/Inf (at the top edge)"))
    return handles


def _problem_spans(statuses: Sequence[LayerStatus]) -> list[tuple[float, float, LayerStatus]]:
    """Axis spans tinting each run of problem layers, widened so a lone layer still shows."""
    half = max(0.5, len(statuses) * MIN_SPAN / 2)
    spans: list[tuple[float, float, LayerStatus]] = []
    for start, stop in runs(statuses):
        status = statuses[start]
        if status is not LayerStatus.HEALTHY:
            middle, width = (start + stop - 1) / 2, max((stop - start) / 2, half)
            spans.append((middle - width, middle + width, status))
    return spans


# ---------------------------------------------------------------- 1. gradient flow


def gradient_flow(fig: Figure, report: Report) -> None:
    """Median gradient norm and update ratio of every layer against depth, on log axes."""
    record = report.record
    n = len(record.layers)
    x = np.arange(n, dtype=float)
    axes = fig.subplots(2, 1, sharex=True)
    top, bottom = axes[0], axes[1]
    _title(fig, report, "Gradient flow through depth")
    low_band, high_band = HEALTHY_BAND
    bottom.axhspan(low_band, high_band, color=STATUS_COLORS[LayerStatus.HEALTHY], alpha=0.13, lw=0, zorder=0)
    healthy_size = float(np.clip(4000 / max(n, 1), 8, 50))
    marks = [False, False]
    figures = LayerFigures.of(record)
    # The weights' own norm gives the gradient a scale: exploding sits far above it, vanishing far below.
    weights = np.array(figures.weight_norm, dtype=float)
    for ax, values, extra in (
        (top, np.array(figures.grad_norm, dtype=float), weights[np.isfinite(weights) & (weights > 0)].tolist()),
        (bottom, np.array(figures.update_ratio, dtype=float), [low_band, high_band]),
    ):
        limits = _log_limits(values, extra)
        for start, stop, status in _problem_spans(report.statuses):
            ax.axvspan(start, stop, color=STATUS_COLORS[status], alpha=0.15, lw=0, zorder=0)
        zero, bad = _plot_log_series(
            ax, x, values, color="#8a8a8a", label="_line", limits=limits, lw=1.0 if n > 100 else 1.5, zorder=2
        )
        marks = [marks[0] or zero, marks[1] or bad]
        _status_points(ax, report.statuses, values, healthy_size)
        ax.grid(True, which="major", axis="y", alpha=0.3)
    shown = np.where(np.isfinite(weights) & (weights > 0), weights, np.nan)
    top.plot(x, shown, color="black", ls=":", lw=1.5, zorder=1, label="weight norm ||W|| (for scale)")
    top.set_ylabel(f"gradient norm ||g|| (L2, median of {len(record.steps)} steps)")
    bottom.set_ylabel("update ratio ||dW|| / ||W|| per step (median)")
    handles, _ = top.get_legend_handles_labels()
    band = Patch(
        color=STATUS_COLORS[LayerStatus.HEALTHY],
        alpha=0.3,
        label="healthy update ratio, 1e-4..1e-2 per step",
    )
    entries = [*handles, *_edge_legend(*marks), band]
    fig.legend(handles=entries, loc="outside lower center", ncols=min(len(entries), 5), fontsize=9)
    _depth_axis(bottom, report)


def _status_points(ax: Axes, statuses: Sequence[LayerStatus], values: Array, healthy_size: float) -> None:
    """Each layer's value as a dot in its status's colour, problem layers larger and outlined."""
    for status in STATUS_ORDER:
        idx = np.array([i for i, s in enumerate(statuses) if s is status], dtype=int)
        if idx.size == 0:
            continue
        keep = np.isfinite(values[idx]) & (values[idx] > 0)
        problem = status is not LayerStatus.HEALTHY
        ax.scatter(
            idx[keep],
            values[idx][keep],
            s=max(healthy_size * 1.8, 40) if problem else healthy_size,
            color=STATUS_COLORS[status],
            edgecolors="black" if problem else "none",
            linewidths=0.7,
            zorder=4 if problem else 3,
            label=f"{status.value} ({idx.size} layer{'s' if idx.size > 1 else ''})",
        )


def _depth_axis(ax: Axes, report: Report) -> None:
    """The layer axis: names where few enough fit, indices otherwise, problem layers' ticks in colour."""
    n = len(report.record.layers)
    ticks = _layer_ticks(report.statuses)
    ax.set_xticks(ticks)
    if n <= MAX_TICKS:
        labels = [_layer_label(report, i, False) for i in ticks]
        rotate = max((len(label) for label in labels), default=0) > 3
        ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center", fontsize=8)
        ax.set_xlabel("layer (model order: input -> output)")
    else:
        ax.set_xticklabels([str(i) for i in ticks], rotation=90, fontsize=8)
        ax.set_xlabel(f"layer index (model order: input -> output, {n} layers; problem layers in colour)")
    _colour_ticks(ax.get_xticklabels(), ticks, report.statuses)
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))


# ---------------------------------------------------------------- 2. heatmap


def _ratio_matrix(report: Report) -> Array:
    """Update ratio, layers x steps."""
    steps = report.record.steps
    n = len(report.record.layers)
    if not steps:
        return np.full((n, 1), np.nan)
    return np.array([s.update_ratio for s in steps], dtype=float).T.reshape(n, len(steps))


def _diverging() -> Colormap:
    """Blue (too small) through white (healthy) to red (too large)."""
    blue, white, red = np.array((0.13, 0.30, 0.65)), np.array((1.0, 1.0, 1.0)), np.array((0.75, 0.10, 0.12))
    half = np.linspace(0.0, 1.0, 128)[:, None]
    colors = np.vstack([blue + (white - blue) * half, white + (red - white) * half])
    return ListedColormap(colors, name="update_ratio").with_extremes(under=ZERO_COLOR, bad=NONFINITE_COLOR)


def update_heatmap(fig: Figure, report: Report) -> None:
    """log10 update ratio of every layer at every step, with each layer's status beside it."""
    record = report.record
    n = len(record.layers)
    data = _ratio_matrix(report)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(data)
    finite = logs[np.isfinite(logs)]
    centre = math.log10(math.sqrt(HEALTHY_BAND[0] * HEALTHY_BAND[1]))
    # At least 4 decades each side of the centre, so the healthy band stays pale.
    vmin = float(max(min(finite.min(), centre - 4), -16)) if finite.size else centre - 4
    vmax = float(min(max(finite.max(), centre + 4), 4)) if finite.size else centre + 4
    zero = np.isfinite(data) & (data == 0)
    shown = np.where(zero, vmin - 1, np.where(np.isfinite(logs), logs, np.nan))
    grid = fig.add_gridspec(1, 2, width_ratios=(1, 30), wspace=0.01)
    strip = fig.add_subplot(grid[0, 0])
    heat = fig.add_subplot(grid[0, 1], sharey=strip)
    _title(fig, report, "Update ratio per layer and step")
    image = heat.imshow(
        np.ma.masked_invalid(shown),
        aspect="auto",
        interpolation="nearest",
        cmap=_diverging(),
        norm=TwoSlopeNorm(vcenter=centre, vmin=vmin, vmax=vmax),
    )
    colorbar = fig.colorbar(image, ax=heat, extend="min", fraction=0.05, pad=0.01)
    colorbar.set_label("log10 update ratio ||dW|| / ||W|| per step (dashed: healthy band)")
    for edge in (math.log10(HEALTHY_BAND[0]), math.log10(HEALTHY_BAND[1])):
        colorbar.ax.axhline(edge, color="black", lw=1.2, ls="--")
    # The status strip: a lone problem layer among hundreds is drawn a few rows tall.
    strip.set_xlim(-0.5, 0.5)
    strip.axhspan(-0.5, n - 0.5, color=STATUS_COLORS[LayerStatus.HEALTHY], lw=0)
    for start, stop, status in _problem_spans(report.statuses):
        strip.axhspan(start, stop, color=STATUS_COLORS[status], lw=0)
    strip.set_xticks([0])
    strip.set_xticklabels(["status"], rotation=90, fontsize=8)
    ticks = _layer_ticks(report.statuses)
    strip.set_yticks(ticks)
    strip.set_yticklabels([_layer_label(report, i, n > MAX_TICKS) for i in ticks], fontsize=8)
    _colour_ticks(strip.get_yticklabels(), ticks, report.statuses)
    strip.set_ylim(n - 0.5, -0.5)
    strip.set_ylabel("layer (input at the top)" if n <= MAX_TICKS else f"layer (input at the top, {n} layers)")
    step_numbers = [s.step for s in record.steps] or [0]
    step_ticks = _ticks(len(step_numbers), 20)
    heat.set_xticks(step_ticks)
    heat.set_xticklabels([str(step_numbers[i]) for i in step_ticks])
    heat.set_xlabel("optimizer step")
    heat.tick_params(axis="y", left=False, labelleft=False)
    handles = [Patch(color=STATUS_COLORS[s], label=s.value) for s in STATUS_ORDER if s in report.statuses]
    if zero.any():
        handles.append(Patch(color=ZERO_COLOR, label="0: no update"))
    if (~np.isfinite(data)).any():
        handles.append(Patch(color=NONFINITE_COLOR, label="NaN/Inf"))
    handles.append(Patch(facecolor="white", edgecolor="black", label="white: healthy ~1e-3"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=9)


# ---------------------------------------------------------------- 3. loss and gradient norm


def _clip_threshold(recommendations: Sequence[Recommendation]) -> tuple[float, float | None] | None:
    for r in recommendations:
        if r.action == "clip_grad_norm":
            max_norm = r.max_norm
            if max_norm is not None and math.isfinite(max_norm) and max_norm > 0:
                return max_norm, r.clipped_fraction
    return None


def loss_gradnorm(fig: Figure, report: Report) -> None:
    """Loss and total gradient norm per step, with the recommended clip threshold."""
    steps = report.record.steps
    x = np.array([s.step for s in steps], dtype=float)
    axes = fig.subplots(2, 1, sharex=True)
    top, bottom = axes[0], axes[1]
    _title(fig, report, "Loss and total gradient norm per step")
    handles: list[Line2D] = []
    marks = [False, False]
    loss = np.array([math.nan if s.loss is None else s.loss for s in steps], dtype=float)
    if steps and any(s.loss is not None for s in steps):
        style = {"marker": "o", "ms": 4, "lw": 1.5}
        if _wants_log(loss):
            zero, bad = _plot_log_series(top, x, loss, color="black", label="loss", limits=_log_limits(loss), **style)
        else:
            zero, bad = False, _plot_linear_series(top, x, loss, color="black", label="loss", **style)
        marks = [zero, bad]
        handles.append(Line2D([], [], color="black", marker="o", label="loss"))
    else:
        top.text(0.5, 0.5, "no loss was recorded", ha="center", va="center", transform=top.transAxes, fontsize=14)
    top.set_ylabel("loss (the script's own units)")
    top.grid(True, alpha=0.3)
    policy = _policy_entropy(top, x, report)
    if policy is not None:
        handles.append(policy)
    norm = np.array([s.total_grad_norm for s in steps], dtype=float)
    clip = _clip_threshold(report.recommendations)
    limits = _log_limits(norm, [clip[0]] if clip else [])
    zero, bad = _plot_log_series(
        bottom,
        x,
        norm,
        color=LINE_COLOR,
        label="total gradient norm",
        limits=limits,
        marker="o",
        ms=4,
        lw=1.5,
    )
    marks = [marks[0] or zero, marks[1] or bad]
    handles.append(Line2D([], [], color=LINE_COLOR, marker="o", label="total gradient norm (all parameters)"))
    if clip:
        max_norm, share = clip
        clipped = f"; would clip {share:.0%} of these steps" if share is not None else ""
        colour = STATUS_COLORS[LayerStatus.EXPLODING]
        bottom.axhline(max_norm, color=colour, ls="--", lw=2)
        label = f"recommended clip_grad_norm max_norm={fmt(max_norm)}{clipped}"
        handles.append(Line2D([], [], color=colour, ls="--", lw=2, label=label))
    bottom.set_ylabel("total gradient norm ||g|| (L2)")
    bottom.set_xlabel("optimizer step")
    bottom.grid(True, which="major", alpha=0.3)
    bottom.xaxis.set_major_locator(MaxNLocator(nbins=20, integer=True))
    fig.legend(handles=[*handles, *_edge_legend(*marks)], loc="outside lower center", ncols=2, fontsize=9)


def _policy_entropy(top: Axes, x: Array, report: Report) -> Line2D | None:
    """The policy's entropy on a right-hand axis of the loss panel, where the run has one: it is
    what GS301 judges a policy-gradient run by, since such a loss's level is no progress."""
    shares = [s.policy_entropy for s in report.record.steps]
    if all(v is None for v in shares):
        return None
    y = np.array([math.nan if v is None else v for v in shares], dtype=float)
    twin = top.twinx()
    twin.plot(x, y, color=POLICY_COLOR, marker="s", ms=3, lw=1.2)
    twin.set_ylim(0.0, 1.05)
    twin.set_ylabel("policy entropy (share of ln K)", color=POLICY_COLOR)
    return Line2D([], [], color=POLICY_COLOR, marker="s", label="policy entropy (share of its maximum ln K)")


# ---------------------------------------------------------------- 4. verification


def _numbers_label(r: Recommendation) -> str:
    """The action and the number that names it in a legend: "clip_grad_norm max_norm=1"."""
    named = {"clip_grad_norm": ("max_norm", r.max_norm), "learning_rate": ("lr", r.lr)}.get(r.action)
    if named is None or named[1] is None:
        return r.action
    return f"{r.action} {named[0]}={fmt(named[1])}"


def verification(fig: Figure, report: Report) -> None:
    """The loss as it is beside the loss with each verified recommendation, replayed from one start."""
    ax = fig.subplots()
    _title(fig, report, "Verification: each recommendation replayed")
    verified = [r for r in report.recommendations if r.verified is not None and r.verified.curve_after]
    if not verified:
        _nothing_verified(ax, report)
        return
    curves = [c for r in verified if r.verified for c in (r.verified.curve_before, r.verified.curve_after)]
    everything = np.array([v for c in curves for v in c], dtype=float)
    log = _wants_log(everything)
    limits = _log_limits(everything)
    any_bad = False

    def draw(y: Array, **style: object) -> bool:
        x = np.arange(y.size, dtype=float)
        if log:
            return _plot_log_series(ax, x, y, limits=limits, **style)[1]  # type: ignore[arg-type]
        return _plot_linear_series(ax, x, y, **style)  # type: ignore[arg-type]

    baselines: list[tuple[float, ...]] = []
    for r in verified:
        v = r.verified
        if v is None or not v.curve_before or v.curve_before in baselines:
            continue
        label = f"as it is: loss {fmt(v.loss_before)} over the last steps" if not baselines else "_baseline"
        baselines.append(v.curve_before)
        any_bad |= draw(np.array(v.curve_before, dtype=float), color="black", label=label, lw=2.5)
    for k, r in enumerate(verified):
        v = r.verified
        if v is None:
            continue
        result = "improved" if v.improved else "NOT improved"
        label = f"with {_numbers_label(r)}: loss {fmt(v.loss_before)} -> {fmt(v.loss_after)}, {result}"
        colour = LINE_COLORS[k % len(LINE_COLORS)]
        style = "-" if v.improved else "--"
        any_bad |= draw(np.array(v.curve_after, dtype=float), color=colour, label=label, lw=2, ls=style)
    handles, _ = ax.get_legend_handles_labels()
    fig.legend(handles=[*handles, *_edge_legend(False, any_bad)], loc="outside lower center", fontsize=10)
    ax.set_xlabel("step of the replay (same start, same batches)")
    ax.set_ylabel("loss (the script's own units)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, which="major", alpha=0.3)


def _nothing_verified(ax: Axes, report: Report) -> None:
    ax.set_axis_off()
    ax.add_patch(Rectangle((0.0, 0.0), 1.0, 1.0, color="#f3f3f3", transform=ax.transAxes))
    lines = []
    if not report.recommendations:
        lines.append("gradscope made no recommendation for this run.")
    for r in report.recommendations:
        if r.verified is None:
            lines.append(f"{r.action}: changes the model itself; apply it, then run gradscope again")
    ax.text(
        0.5,
        0.62,
        "No numeric recommendation was verified.",
        ha="center",
        va="center",
        fontsize=20,
        fontweight="bold",
        transform=ax.transAxes,
    )
    ax.text(
        0.5,
        0.4,
        "\n".join(lines[:8]),
        ha="center",
        va="center",
        fontsize=12,
        color="#444",
        transform=ax.transAxes,
    )


PLOTS = (
    Plot("gradient_flow.png", (1200, 800), gradient_flow),
    Plot("update_heatmap.png", (1200, 800), update_heatmap),
    Plot("loss_gradnorm.png", (1200, 700), loss_gradnorm),
    Plot("verification.png", (1100, 650), verification),
)

RENDERER = Renderer(name="plots", suffixes=(".png",), write=write_plots)
