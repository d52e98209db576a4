"""A progress bar on stderr while the probe and the verification replays run.

Usage (the pipeline calls the callback; it never needs to know about rich):

    with progress_bar(enabled=not quiet) as progress:
        report = run_diagnosis(config, progress=progress)

The callback is `progress(phase, done, total)`: `phase` names what runs
("measuring", then "verifying clip=1", "verifying activation=ReLU", ... for each
replay), `done` of `total` steps are finished.
Each phase gets its own bar line; a phase seen again updates its bar. The bars
go to stderr, so stdout stays the report (pipe- and golden-file-safe), and
they vanish when the block ends. With enabled=False, or when stderr is not a
terminal (CI logs, redirection), the callback does nothing and costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

ProgressCallback = Callable[[str, int, int], None]


def _ignore(phase: str, done: int, total: int) -> None:
    """The callback when no bar is shown."""


@contextmanager
def progress_bar(enabled: bool, *, console: Console | None = None) -> Iterator[ProgressCallback]:
    """Yield a `(phase, done, total)` callback that drives a rich progress bar on stderr."""
    console = console or Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield _ignore
        return
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    tasks: dict[str, TaskID] = {}
    # stdout is the report and is left alone; what goes to stderr meanwhile
    # (warnings, the user's prints) is printed above the bars, not through them.
    with Progress(*columns, console=console, transient=True, redirect_stdout=False) as bar:

        def update(phase: str, done: int, total: int) -> None:
            # total <= 0 means "unknown": rich shows a pulsing bar for total=None.
            size = total if total > 0 else None
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=size)
            bar.update(tasks[phase], completed=done, total=size)

        yield update
