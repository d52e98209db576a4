"""gradscope: gradient-health diagnostics for PyTorch.

Importing this package is cheap: torch, pandas and matplotlib load only when a
function that needs them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradscope.data.records import Report

__version__ = "0.1.0"
# What to `pip install`: the name `gradscope` on the package index is an unrelated project.
DISTRIBUTION = "torch-gradscope"

if TYPE_CHECKING:
    import pandas as pd

    from gradscope.doors.watch import Watch

__all__ = ["DISTRIBUTION", "__version__", "load_run", "watch"]


def watch(model: Any, optimizer: Any, **kwargs: Any) -> Watch:
    """Record gradient health inside your own training loop; see gradscope.doors.watch.Watch."""
    from gradscope.doors.watch import Watch

    return Watch(model, optimizer, **kwargs)


def load_run(path: str) -> pd.DataFrame:
    """A saved report (JSON) or CSV as a tidy frame: step, layer, metric, value."""
    from gradscope.render.table import load_run as _load_run

    return _load_run(path)


def _plain_text(report: Report) -> str:
    """The terminal report without colour: what `print(report)` shows."""
    from gradscope.render.text import render_text

    return render_text(report)


# Wired here, not in types.py: the package runs before any of its modules, so every Report
# prints this way, and the bottom layer never imports a renderer.
Report.to_text = _plain_text
