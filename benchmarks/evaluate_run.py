"""Run every training script in the given folders under `gradscope run` and compare with its EXPECTED.

Each script runs in a fresh `python -m gradscope run --steps N --json OUT SCRIPT` process (cwd the
repository root, NO_COLOR=1) per step count N; the report's verdict and layer statuses are checked
against the script's module-level EXPECTED literal (read with ast, never by running the script) with
tests/expectations.py. Prints a Markdown table: script, declared verdict, gradscope's verdict at each
step count (with what did not match), the wall time; then how many scripts matched at every step count
and how many healthy scripts were given a problem verdict.

Run: python benchmarks/evaluate_run.py benchmarks/holdout_scripts_5 --steps 20 30
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from expectations import expected_of, mismatches  # noqa: E402

from gradscope.render.json import load as load_report  # noqa: E402


@dataclass(frozen=True)
class Outcome:
    verdict: str
    problems: tuple[str, ...]
    wall: float


def run(script: Path, steps: int, timeout: float) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "gradscope", "run", "--quiet", "--fail-on", "never", "--steps", str(steps),
                 "--json", str(out), str(script.resolve())],
                capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, check=False,
                timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return Outcome("error", (f"timed out after {timeout:g} s",), time.perf_counter() - started)
        wall = time.perf_counter() - started
        if not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
            return Outcome("error", (f"exit {done.returncode}: {last}",), wall)
        report = load_report(out)
    problems = tuple(mismatches(report, expected_of(script)))
    return Outcome(report.verdict.value, problems, wall)


def declares(script: Path) -> bool:
    """A training script with an EXPECTED to check against (helpers such as _measure.py have none)."""
    try:
        expected_of(script)
    except (LookupError, SyntaxError):
        return False
    return True


def scripts_in(folder: Path) -> list[Path]:
    """Top-level e*.py files, and a sub-folder's train.py (a script that needs files beside it)."""
    found = [s for s in sorted(folder.glob("*.py")) if not s.name.startswith("_")]
    found += sorted(p for p in folder.glob("*/train.py"))
    return [s for s in found if declares(s)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--steps", type=int, nargs="+", default=[20, 30], help="step counts to stop each script at")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed to one gradscope run")
    args = parser.parse_args()
    scripts = [s for folder in args.folders for s in scripts_in(folder)]
    header = " | ".join(f"{n} steps" for n in args.steps)
    print(f"| script | declared | {header} | wall s |")
    print("|---|---|" + "---|" * len(args.steps) + "---|", flush=True)
    matched = false_alarms = healthy = 0
    for script in scripts:  # one at a time: the scripts time themselves and the machine is small
        expected = expected_of(script)["verdict"]
        row = [run(script, n, args.timeout) for n in args.steps]
        cells = [o.verdict if not o.problems else f"**{o.verdict}**: {'; '.join(o.problems)}" for o in row]
        matched += all(not o.problems for o in row)
        if expected == "healthy":
            healthy += 1
            false_alarms += any(o.verdict != "healthy" for o in row)
        name = script.relative_to(script.parents[1] if script.name != "train.py" else script.parents[2])
        wall = max(o.wall for o in row)
        print(f"| {name.with_suffix('')} | {expected} | {' | '.join(cells)} | {wall:.1f} |", flush=True)
    steps = ", ".join(map(str, args.steps))
    print(f"\n{matched}/{len(scripts)} as declared at every step count ({steps}); "
          f"{false_alarms} healthy given a problem (of {healthy} healthy)")  # fmt: skip


if __name__ == "__main__":
    main()
