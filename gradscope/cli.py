"""The command line: parse -> config -> one pipeline call -> renderers -> exit code.

Nothing here computes; torch, pandas and matplotlib are imported only inside
the commands that need them, so `gradscope --help` is instant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from gradscope import DISTRIBUTION, __version__
from gradscope.config import DEFAULT_SEED, DEFAULT_STEPS, FailOn, RunConfig
from gradscope.errors import GradscopeError, InternalError, UsageError

app = typer.Typer(
    name="gradscope",
    help="Gradient-health diagnostics for PyTorch: per-layer verdicts and verified fixes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage error; 3 the script failed; "
    "4 internal error in gradscope (please report it)."
)
REPORT_IT = "this is a bug in gradscope, not in your script; please report this with the traceback above"


def _report_internal(exc: BaseException) -> int:
    """A bug in gradscope: the whole traceback (no --debug needed), what was raised, a request to report it."""
    import traceback

    err = exc if isinstance(exc, InternalError) else InternalError.of(exc)
    sys.stdout.flush()
    traceback.print_exception(exc, file=sys.stderr)
    print(f"gradscope: internal error: {err}", file=sys.stderr)
    print(f"gradscope: {REPORT_IT}", file=sys.stderr)
    return err.exit_code


def _fail(err: GradscopeError, debug: bool) -> NoReturn:
    if isinstance(err, InternalError):
        raise typer.Exit(_report_internal(err))
    if debug:
        raise err
    print(f"gradscope: error: {err}", file=sys.stderr)
    raise typer.Exit(err.exit_code)


def _version(value: bool) -> None:
    if value:
        print(f"gradscope {__version__} (package {DISTRIBUTION})")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Gradient-health diagnostics for PyTorch."""


def _absolute(path: Path | None) -> Path | None:
    return None if path is None else path.expanduser().absolute()


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


def _outputs(report: object, json_path: Path | None, csv_path: Path | None, plots: Path | None) -> None:
    from gradscope.render import write_outputs

    write_outputs(report, json_path=json_path, csv_path=csv_path, plots=plots)  # type: ignore[arg-type]


@app.command(epilog=EXIT_CODES_HELP)
def diagnose(
    script: Annotated[Path, typer.Argument(help="Model script defining `model` and `data` (see the README).")],
    steps: Annotated[int, typer.Option(help="Training steps to measure (at least 1).")] = DEFAULT_STEPS,
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
) -> None:
    """Run a few instrumented training steps of SCRIPT and judge every layer's gradients."""
    from gradscope.pipeline import run_diagnosis
    from gradscope.render.progress import progress_bar
    from gradscope.render.terminal import print_report
    from gradscope.report import exit_code

    try:
        if steps < 1:
            raise UsageError(f"--steps must be at least 1 (got {steps})")
        if not 0 <= seed < 2**63:
            raise UsageError(f"--seed must be between 0 and 2**63-1 (got {seed})")
        # Absolute before the script runs: a script that calls os.chdir must not move the outputs.
        json_path, csv_path, plots = _absolute(json_path), _absolute(csv_path), _absolute(plots)
        _not_an_input([json_path, csv_path, plots], [script])
        _check_outputs([json_path, csv_path], plots)
        config = RunConfig(script=script, steps=steps, seed=seed, device=device, verify=verify, debug=debug)
        with progress_bar(enabled=not quiet) as progress:
            report = run_diagnosis(config, progress=progress)
        print_report(report, quiet=quiet)
        _outputs(report, json_path, csv_path, plots)
    except GradscopeError as err:
        _fail(err, debug)
    except KeyboardInterrupt:
        print("gradscope: error: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        raise typer.Exit(130) from None
    except Exception as exc:  # not a GradscopeError: gradscope itself failed
        raise typer.Exit(_report_internal(exc)) from None
    raise typer.Exit(exit_code(report, fail_on))


@app.command(epilog=EXIT_CODES_HELP)
def render(
    run: Annotated[Path, typer.Argument(help="A report written by `gradscope diagnose --json`.")],
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the per-step figures here.")] = None,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write PNG plots into this folder.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    """Redraw the report, CSV and plots of a saved run (does not need torch)."""
    from gradscope import records
    from gradscope.render.terminal import print_report

    try:
        _not_an_input([csv_path, plots], [run])
        report = records.load(run)
        print_report(report, quiet=quiet)
        _outputs(report, None, csv_path, plots)
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
    from gradscope.render.terminal import print_rules

    print_rules()


def main() -> None:
    code = 0
    try:
        app()
    except InternalError as err:
        code = _report_internal(err)
    except GradscopeError as err:  # re-raised by --debug: show the traceback, keep the exit code
        import traceback

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
