"""Colours, number formats and the healthy band shared by every renderer.

The terminal and the plots use the same colour for a status, so a reader who
learned "blue means vanishing" from one recognises it in the other. Plain
Python only: the terminal report must not pay for numpy or matplotlib.
"""

from __future__ import annotations

import math

from gradscope.data.records import LayerStatus, Severity, Verdict

# Hex so rich (truecolor, downsampled on lesser terminals) and matplotlib read
# the same value. Cold for "too little", hot for "too much", grey for set-up.
STATUS_COLORS: dict[LayerStatus, str] = {
    LayerStatus.HEALTHY: "#2ca02c",
    LayerStatus.VANISHING: "#1f77b4",
    LayerStatus.EXPLODING: "#d62728",
    LayerStatus.NONFINITE: "#d62ad6",
    LayerStatus.DEAD: "#ff7f0e",
    LayerStatus.FROZEN: "#8c8c8c",
    LayerStatus.UNUSED: "#bcbd22",
    LayerStatus.NOT_OPTIMIZED: "#17becf",
}

# Most serious first, as LayerStatus is declared, so a merged row or a legend shows the worst first.
STATUS_ORDER: tuple[LayerStatus, ...] = tuple(LayerStatus)

VERDICT_STYLES: dict[Verdict, str] = {
    Verdict.HEALTHY: "bold #2ca02c",
    Verdict.NONFINITE: "bold #d62ad6",
    Verdict.EXPLODING: "bold #d62728",
    Verdict.VANISHING: "bold #d62728",
    Verdict.DEAD: "bold #d62728",
    # The gradients themselves are fine; only the learning rate needs a change.
    Verdict.UNSTABLE: "bold #e5a50a",
    Verdict.STALLED: "bold #e5a50a",
    Verdict.PRECISION: "bold #e5a50a",
}

VERDICT_MEANINGS: dict[Verdict, str] = {
    Verdict.HEALTHY: "no gradient problem found",
    Verdict.NONFINITE: "NaN/Inf in gradients or weights",
    Verdict.EXPLODING: "gradients blow up",
    Verdict.VANISHING: "gradients fade towards the input",
    Verdict.DEAD: "units that never pass a gradient",
    Verdict.UNSTABLE: "the loss (or a policy) diverges, swings or collapses: learning rate too high",
    Verdict.STALLED: "weights barely move, loss flat: learning rate too low",
    Verdict.PRECISION: "updates lost to bf16/fp16 rounding, or fp16 steps skipped by GradScaler",
}

# Rich styles only: the plots draw no severity.
SEVERITY_STYLES: dict[Severity, str] = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}

# Per-step update ratio ||dW|| / ||W|| that usually means "learning": the
# common rule of thumb is about 1e-3, give or take a decade each way.
HEALTHY_BAND = (1e-4, 1e-2)


def status_rank(status: LayerStatus) -> int:
    return STATUS_ORDER.index(status)


def fmt(x: float | None) -> str:
    """A figure in at most 3 significant digits, readable from 1e-12 to 1e12."""
    if x is None:
        return "-"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.2e}"


def fmt_lr(lrs: tuple[float, ...]) -> str:
    # Keyed by repr, not by value: NaN (an lr that is not a number) is never equal to itself.
    distinct = list({repr(v): v for v in lrs}.values())
    if not distinct:
        return "?"
    if len(distinct) == 1:
        return f"{distinct[0]:.3g}"
    return "/".join(f"{v:.3g}" for v in distinct) + f" ({len(lrs)} groups)"


def fmt_count(n: int) -> str:
    """A parameter count in at most 6 characters: 4,160 / 65.8k / 1.2M / 7.0B."""
    if n < 10_000:
        return f"{n:,}"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(n)


def shorten_middle(name: str, width: int, ellipsis: str = "…") -> str:
    """Cut the middle of a dotted path: both the block and the leaf stay readable."""
    if len(name) <= width:
        return name
    keep = max(width - len(ellipsis), 2)
    head = (keep + 1) // 2
    return name[:head] + ellipsis + name[len(name) - (keep - head) :]


def shorten_path(name: str, width: int, ellipsis: str = "…") -> str:
    """Drop leading dotted components first: the block index and the leaf say which layer it is."""
    if len(name) <= width:
        return name
    parts = name.split(".")
    for k in range(1, len(parts)):
        tail = ".".join(parts[k:])
        if len(tail) + len(ellipsis) <= width:
            return ellipsis + tail
    return shorten_middle(name, width, ellipsis)
