"""Diagnose every model in the given folders and compare with its declared EXPECTED.

Each model runs in a fresh `python -m gradscope diagnose ... --json` process, so the
wall time includes interpreter start and verification. Prints a Markdown table:
model, declared verdict, gradscope's verdict, match, recommendations with their
numbers and verified loss before -> after, wall time.

Run: python benchmarks/evaluate.py sample_models benchmarks/holdout_models benchmarks/holdout_models_2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from expectations import expected_of, mismatches  # noqa: E402

from gradscope import records  # noqa: E402


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
        text += f" [{verified['loss_before']:.3g} -> {verified['loss_after']:.3g}{mark}]"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    print("| model | declared | gradscope | match | recommendation [loss before -> after] | wall s |")
    print("|---|---|---|---|---|---|")
    total = matched = 0
    for folder in args.folders:
        for script in sorted(Path(folder).glob("*.py")):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run.json"
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "gradscope", "diagnose", str(script), "--quiet", "--fail-on", "never",
                     "--json", str(out)],
                    capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, check=False,
                )  # fmt: skip
                wall = time.perf_counter() - started
                if not out.exists():
                    print(f"| {folder}/{script.stem} | | error | no | | {wall:.2f} |")
                    total += 1
                    continue
                data = json.loads(out.read_text())
                report = records.load(out)
            expected = expected_of(script)
            problems = mismatches(report, expected)
            total += 1
            matched += not problems
            recs = "; ".join(describe(r) for r in data["recommendations"]) or "-"
            verdict = data["verdict"]
            ok = "yes" if not problems else "no: " + "; ".join(problems)
            name = f"{Path(folder).name}/{script.stem}"
            print(f"| {name} | {expected['verdict']} | {verdict} | {ok} | {recs} | {wall:.2f} |")
    print(f"\n{matched}/{total} models diagnosed as declared")


if __name__ == "__main__":
    main()
