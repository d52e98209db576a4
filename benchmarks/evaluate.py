"""Diagnose every model in the given folders and compare with its declared EXPECTED.

Each model runs in a fresh `python -m gradscope diagnose ... --json` process per step
count, so the wall time includes interpreter start and verification. Prints a Markdown
table: model, declared verdict, gradscope's verdict at each step count (with what did not
match), the recommendations of the first step count, and the wall time; then how many
models matched at every step count and how many healthy models were given a problem.

Run: python benchmarks/evaluate.py sample_models benchmarks/holdout_models benchmarks/holdout_models_2 \
        benchmarks/holdout_models_3 benchmarks/holdout_models_4 tests/scripts/stories --steps 10 20 30 40
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from expectations import expected_of, mismatches  # noqa: E402

from gradscope.render.json import load as load_report  # noqa: E402


def _loss(value: float | str) -> str:
    """A loss as the report's JSON holds it: a number, or "NaN"/"Infinity" (strict JSON)."""
    return value if isinstance(value, str) else f"{value:.3g}"


def describe(rec: dict[str, Any]) -> str:
    action = rec["action"]
    if action == "clip_grad_norm":
        text = f"clip max_norm={rec['max_norm']:g} ({rec['clipped_fraction']:.0%} clipped)"
    elif action == "learning_rate":
        text = f"lr {rec['current_lr']:g} -> {rec['lr']:g}"
    elif action == "activation":
        text = f"{rec['replace']} -> {rec['with']}"
    elif action == "init":
        text = f"init {rec['scheme'].split(',')[0]}"
    else:
        text = action
    verified = rec.get("verified")
    if verified:
        mark = "" if verified["improved"] else " (not better)"
        text += f" [{_loss(verified['loss_before'])} -> {_loss(verified['loss_after'])}{mark}]"
    return text


@dataclass(frozen=True)
class Outcome:
    verdict: str
    problems: tuple[str, ...]
    recommendations: str
    wall: float


def diagnose(script: Path, steps: int, budget: float, keep: Path | None = None) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "gradscope", "diagnose", str(script), "--quiet", "--fail-on", "never",
             "--steps", str(steps), "--budget", str(budget), "--json", str(out)],
            capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
            return Outcome("error", (last,), "", wall)
        data = json.loads(out.read_text())
        report = load_report(out)
        if keep is not None:  # for re-judging the same runs offline (benchmarks/rejudge.py)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, keep / f"{script.parent.name}--{script.stem}--{steps}.json")
    problems = tuple(mismatches(report, expected_of(script)))
    recs = "; ".join(describe(r) for r in data["recommendations"]) or "-"
    return Outcome(data["verdict"], problems, recs, wall)


def declares(script: Path) -> bool:
    """A model script with an EXPECTED to check against (helpers beside the models have none)."""
    try:
        expected_of(script)
    except (LookupError, SyntaxError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--steps", type=int, nargs="+", default=[20], help="step counts to diagnose each model at")
    parser.add_argument("--jobs", type=int, default=2, help="diagnoses run at once")
    parser.add_argument(
        "--budget",
        type=float,
        default=0,
        help="gradscope's --budget per diagnosis; 0 (the default here): none, so a loaded machine cannot cut "
        "replays short and change what is compared",
    )
    parser.add_argument("--keep", type=Path, help="also keep every JSON report in this folder")
    args = parser.parse_args()
    scripts = [s for folder in args.folders for s in sorted(Path(folder).glob("*.py")) if declares(s)]
    header = " | ".join(f"{n} steps" for n in args.steps)
    print(f"| model | declared | {header} | recommendations ({args.steps[0]} steps) | wall s |")
    print("|---|---|" + "---|" * len(args.steps) + "---|---|", flush=True)
    matched = false_alarms = healthy = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {(s, n): pool.submit(diagnose, s, n, args.budget, args.keep) for s in scripts for n in args.steps}
        for script in scripts:  # rows in order, each printed as soon as its runs are done
            expected = expected_of(script)["verdict"]
            row = [futures[(script, n)].result() for n in args.steps]
            cells = [o.verdict if not o.problems else f"**{o.verdict}**: {'; '.join(o.problems)}" for o in row]
            matched += all(not o.problems for o in row)
            if expected == "healthy":
                healthy += 1
                false_alarms += any(o.verdict != "healthy" for o in row)
            name = f"{script.parent.name}/{script.stem}"
            wall = max(o.wall for o in row)
            print(f"| {name} | {expected} | {' | '.join(cells)} | {row[0].recommendations} | {wall:.1f} |", flush=True)
    steps = ", ".join(map(str, args.steps))
    print(f"\n{matched}/{len(scripts)} models diagnosed as declared at every step count ({steps})")
    print(f"{false_alarms}/{healthy} healthy models given a problem verdict at some step count")


if __name__ == "__main__":
    main()
