"""The command line: parse -> config -> one pipeline call -> renderers -> exit code.

Nothing here computes; torch, pandas and matplotlib are imported only inside
the commands that need them, so `gradscope --help` is instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from gradscope import DISTRIBUTION, __version__
from gradscope.config import DEFAULT_BUDGET, DEFAULT_SEED, DEFAULT_STEPS, PRECISIONS, FailOn, RunConfig, ScriptRun
from gradscope.errors import EXIT_INTERRUPTED, EXIT_OK, GradscopeError, InternalError, ScriptError, UsageError
from gradscope.render import json, write_outputs

if TYPE_CHECKING:
    from rich.console import Console

    from gradscope.data.records import Report

app = typer.Typer(
    name="gradscope",
    help="Gradient-health diagnostics for PyTorch: per-layer verdicts and verified fixes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage error; 3 the script failed; "
    "4 internal error in gradscope (please report it); 130 stopped by Ctrl-C or SIGTERM (the report covers what "
    "was measured)."
)
RENDER_EXIT_CODES_HELP = (
    "Exit codes: 0 drawn (whatever the report found: --fail-on belongs to diagnose and run); 2 usage error "
    "(not a gradscope report, an unwritable output); 4 internal error in gradscope (please report it)."
)
REPORT_IT = "this is a bug in gradscope, not in your script; please report this with the traceback above"

# The files asked for, by format (--json, --csv, --plots): None where not asked for.
Outputs = dict[str, Path | None]


def _report_internal(exc: BaseException) -> int:
    """A bug in gradscope: the whole traceback (no --debug needed), what was raised, a request to report it."""
    err = exc if isinstance(exc, InternalError) else InternalError.of(exc)
    sys.stdout.flush()
    traceback.print_exception(exc, file=sys.stderr)
    print(f"gradscope: internal error: {err}", file=sys.stderr)
    print(f"gradscope: {REPORT_IT}", file=sys.stderr)
    return err.exit_code


def _fail(err: GradscopeError, debug: bool) -> NoReturn:
    if isinstance(err, InternalError):
        raise typer.Exit(_report_internal(err))
    if isinstance(err, ScriptError) and err.shown:
        print(err.shown, file=sys.stderr, end="")  # the script's traceback, as Python would print it
    if debug:
        raise err
    print(f"gradscope: error: {err}", file=sys.stderr)
    raise typer.Exit(err.exit_code)


@contextlib.contextmanager
def _exits(debug: bool, interrupted: Callable[[KeyboardInterrupt], str]) -> Iterator[None]:
    """What ends a command early, as its exit: gradscope's errors as one line (or, for an internal
    error, the traceback), Ctrl-C or SIGTERM as `interrupted(exc)` and EXIT_INTERRUPTED."""
    try:
        yield
    except GradscopeError as err:
        _fail(err, debug)
    except KeyboardInterrupt as exc:
        print(f"gradscope: error: {interrupted(exc)}", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # not a GradscopeError: gradscope itself failed
        raise typer.Exit(_report_internal(exc)) from None


def _announce(line: str) -> None:
    print(f"gradscope: {line}", file=sys.stderr, flush=True)


def _version(value: bool) -> None:
    if value:
        print(f"gradscope {__version__} (package {DISTRIBUTION})")
        raise typer.Exit(EXIT_OK)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Gradient-health diagnostics for PyTorch."""


def _check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed < 2**63:
        raise UsageError(f"--seed must be between 0 and 2**63-1 (got {seed})")


def _check_diagnose(steps: int | None, budget: float, seed: int) -> None:
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be at least 1 (got {steps})")
    if not budget >= 0:  # also refuses NaN
        raise UsageError(f"--budget must be 0 (no limit) or a number of seconds (got {budget})")
    _check_seed(seed)


def _check_run(
    target: list[str] | None, steps: int | None, no_stop: bool, budget: float, every: int, seed: int | None
) -> list[str]:
    """The script and its arguments, once the options agree."""
    if not target:
        raise UsageError("give the training script to run: gradscope run [OPTIONS] SCRIPT [SCRIPT_ARGS]...")
    if no_stop and steps is not None:
        raise UsageError("--steps and --no-stop contradict each other; give one")
    if (steps is not None and steps < 1) or every < 1:
        raise UsageError("--steps and --every must be at least 1")
    _check_seed(seed)
    if not budget >= 0 or (no_stop and budget):  # `not >=` also refuses NaN
        raise UsageError("--budget must be 0 (no limit) or a number of seconds, and not with --no-stop")
    return target


def _absolute(path: Path | None) -> Path | None:
    return None if path is None else path.expanduser().absolute()


def _checked_outputs(json_path: Path | None, csv_path: Path | None, plots: Path | None, inputs: list[Path]) -> Outputs:
    """The files asked for, by format, made absolute before the script runs (a script that calls
    os.chdir must not move them) and checked before a long run, not after it."""
    outputs = {"json": _absolute(json_path), "csv": _absolute(csv_path), "plots": _absolute(plots)}
    _not_an_input(list(outputs.values()), inputs)
    _check_outputs([outputs["json"], outputs["csv"]], outputs["plots"])
    return outputs


def _not_an_input(outputs: list[Path | None], inputs: list[Path]) -> None:
    """Refuse to write a report over the script or the report it was given."""
    for out in outputs:
        for given in inputs:
            if out is not None and given.exists() and out.resolve() == given.resolve():
                raise UsageError(f"{out} is also the input; write the output to another path")


def _check_outputs(files: list[Path | None], folder: Path | None) -> None:
    """Fail before a long run, not after it, when an output cannot be written."""
    for path in files:
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{path} is a directory; give a file path")
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and (not parent.is_dir() or not os.access(parent, os.W_OK)):
            raise UsageError(f"cannot write {path}: {parent} is not a writable folder")
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UsageError(f"--plots {folder} is a file; give a folder for the PNGs")


def _deliver(report: Report, outputs: Outputs, quiet: bool) -> None:
    """The files asked for, then the report on the terminal."""
    _outputs(report, outputs, quiet)
    _show(report, quiet)


def _outputs(report: Report, outputs: Outputs, quiet: bool) -> None:
    """Each file asked for by its format's option (--json, --csv, --plots), in that order, each
    named on stderr (a folder made for it would otherwise go unnoticed)."""
    for name, path in outputs.items():
        if path is not None:
            try:
                write_outputs(report, {name: path})
            except BaseException:
                _show(report, quiet)  # a long run's verdict is not lost with the file that failed
                raise
            if not quiet:
                with contextlib.suppress(BrokenPipeError):  # stderr into a reader that stopped (2>&1 | head)
                    print(f"gradscope: {name} written to {path}", file=sys.stderr)


def _show(report: Report, quiet: bool) -> None:
    """Print the report; a reader that stops early (`| head`) changes neither the files, written
    before, nor the exit code."""
    from rich.console import Console

    from gradscope.render.terminal import print_report

    class Piped(Console):
        def on_broken_pipe(self) -> None:
            # rich's own answer is SystemExit(1), which would read as "findings". As the Python
            # docs advise, stdout goes to devnull so the flush at exit cannot fail again.
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

    console = Piped()
    print_report(report, quiet=quiet, console=console)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        console.on_broken_pipe()


PRECISION_HELP = (
    f"Train the steps as your training does, by Lightning's names: {', '.join(PRECISIONS)}. "
    "Default: the script's `precision`, else the model as given."
)


def _check_precision(precision: str | None) -> None:
    if precision is not None and precision not in PRECISIONS:
        raise UsageError(f"--precision {precision!r}: use one of {', '.join(PRECISIONS)}")


@app.command(epilog=EXIT_CODES_HELP)
def diagnose(
    script: Annotated[Path, typer.Argument(help="Model script defining `model` and `data` (see the README).")],
    steps: Annotated[
        int | None,
        typer.Option(
            help=f"Training steps to measure (at least 1). Default: what the budget allows, up to {DEFAULT_STEPS}."
        ),
    ] = None,
    budget: Annotated[
        float,
        typer.Option(
            help="Seconds for the whole diagnosis: plans the measured steps (unless --steps) and replays. 0: no limit."
        ),
    ] = DEFAULT_BUDGET,
    seed: Annotated[int, typer.Option(help="Seed for torch, set before the script runs.")] = DEFAULT_SEED,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda or cuda:N (auto = CUDA when available).")] = "auto",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write per-step figures as a tidy table (.csv or .parquet).")
    ] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots into this folder.")] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 on findings of this severity or worse.")
    ] = FailOn.ERROR,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Re-run steps to check recommended numbers.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    precision: Annotated[str | None, typer.Option(help=PRECISION_HELP)] = None,
) -> None:
    """Run a few instrumented training steps of SCRIPT and judge every layer's gradients."""
    # Imported here, not at the top: the advice and the doors load torch, which --help must not
    # pay for (the progress bar, rich's live display, is left for the command too).
    from gradscope.advice.report import exit_code
    from gradscope.doors.diagnose import run_diagnosis
    from gradscope.render.console.progress import progress_bar

    # Before the first step was measured, or a second Ctrl-C: nothing to judge, quit at once.
    with _exits(debug, lambda _exc: "interrupted; nothing was written"):
        _check_diagnose(steps, budget, seed)
        outputs = _checked_outputs(json_path, csv_path, plots, [script])
        _check_precision(precision)
        config = RunConfig(script, steps, budget or None, seed, device, verify, precision)
        with progress_bar(enabled=not quiet) as progress:
            report = run_diagnosis(config, progress=progress, announce=None if quiet else _announce)
        _deliver(report, outputs, quiet)
    if report.record.run.partial:
        print(f"gradscope: stopped ({report.record.run.cut}); the report covers what was measured", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(exit_code(report, fail_on))


# Options end at SCRIPT (allow_interspersed_args off), as with `python -m cProfile`: whatever follows
# is the script's, `--steps` included, with no `--`. Unknown options stay errors (no
# ignore_unknown_options): a mistyped gradscope option must not become the script's name.
RUN_SETTINGS = {"allow_extra_args": True, "allow_interspersed_args": False}


@app.command("run", epilog=EXIT_CODES_HELP, context_settings=RUN_SETTINGS)
def run_command(
    target: Annotated[
        list[str] | None,
        typer.Argument(metavar="SCRIPT [SCRIPT_ARGS]...", help="The training script and its own arguments."),
    ] = None,
    module: Annotated[bool, typer.Option("-m", help="SCRIPT is a module name, run as `python -m` runs it.")] = False,
    steps: Annotated[
        int | None, typer.Option(help=f"Stop the script after this many measured steps (default {DEFAULT_STEPS}).")
    ] = None,
    no_stop: Annotated[bool, typer.Option("--no-stop", help="Let the script run to its end.")] = False,
    budget: Annotated[
        float, typer.Option(help="Also stop at the first step after this many seconds (0: no limit).")
    ] = 0.0,
    every: Annotated[int, typer.Option(help="Measure every k-th optimizer step.")] = 1,
    seed: Annotated[int | None, typer.Option(help="Seed torch before the script runs (default: no seeding).")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write per-step figures as a tidy table.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots into this folder.")] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 on findings of this severity or worse.")
    ] = FailOn.ERROR,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of gradscope's errors.")] = False,
) -> None:
    """Run an unmodified training script (`train.py ARGS`) and judge the gradients of its steps."""
    # Imported here, not at the top: the advice and the doors load torch, which --help must not pay for.
    from gradscope.advice.report import exit_code
    from gradscope.doors.run.script import Outcome, run_script

    outcome: Outcome | None = None

    def interrupted(exc: KeyboardInterrupt) -> str:
        done = "the report above covers the steps before it" if outcome is not None else "nothing was written"
        if outcome is not None and not outcome.main:
            done = "rank 0 reports the steps before it"
        how = "SIGTERM" if exc.args == ("SIGTERM",) else "Ctrl-C"  # doors.signals.Terminated says which
        return f"interrupted ({how}); {done}"

    with _exits(debug, interrupted):
        script, *args = _check_run(target, steps, no_stop, budget, every, seed)
        outputs = _checked_outputs(json_path, csv_path, plots, [] if module else [Path(script)])
        limit = None if no_stop else (steps or DEFAULT_STEPS)
        outcome = run_script(ScriptRun(script, tuple(args), module, limit, every, seed, budget or None))
        if outcome.main:  # in a torch.distributed job every rank has the same report: rank 0 shows it
            _deliver(outcome.report, outputs, quiet)
        if outcome.crash is not None:
            raise outcome.crash
        if outcome.interrupted is not None:
            raise KeyboardInterrupt(outcome.interrupted)
    # Rank 0 gives a torch.distributed job's verdict and exit code. Another rank ending first with
    # the findings code would make torchrun stop rank 0 before it has written the report.
    raise typer.Exit(exit_code(outcome.report, fail_on) if outcome.main else EXIT_OK)


@app.command(epilog=RENDER_EXIT_CODES_HELP)
def render(
    run: Annotated[Path, typer.Argument(help="A report written by `gradscope diagnose --json`.")],
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the per-step figures here.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots into this folder.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    """Redraw the report, CSV and plots of a saved run (does not need torch)."""
    try:
        _not_an_input([csv_path, plots], [run])
        report = json.load(run)
        _deliver(report, {"csv": csv_path, "plots": plots}, quiet)
    except GradscopeError as err:
        _fail(err, debug)
    except Exception as exc:  # not a GradscopeError: gradscope itself failed
        raise typer.Exit(_report_internal(exc)) from None


@app.command("rules")
def list_rules(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the README's Markdown table.")] = False,
) -> None:
    """List every rule with its code, name and what it looks for."""
    if markdown:
        from gradscope.diagnosis import rules_markdown

        print(rules_markdown())
        return
    print_rules()


def print_rules(console: Console | None = None) -> None:
    """The rule registry as a table: code, name, severity, what it looks for."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from gradscope.diagnosis import RULES
    from gradscope.render.console.style import SEVERITY_STYLES

    console = console or Console()
    table = Table("code", "name", "severity", "description", box=box.SIMPLE_HEAD, header_style="bold")
    for r in sorted(RULES, key=lambda r: r.code):
        table.add_row(r.code, r.name, Text(r.severity.value, style=SEVERITY_STYLES[r.severity]), r.description)
    console.print(table)


def main() -> None:
    code = EXIT_OK
    try:
        app()
    except InternalError as err:
        code = _report_internal(err)
    except GradscopeError as err:  # re-raised by --debug: show the traceback, keep the exit code
        traceback.print_exc()
        print(f"gradscope: error: {err}", file=sys.stderr)
        code = err.exit_code
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Exception as exc:  # anything else escaping gradscope is a bug in it, never a bare crash
        code = _report_internal(exc)
    # A user script may leave non-daemon threads running; they must not keep a CI job alive.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
