"""Wall time of `gradscope diagnose` for every sample model, in a fresh process.

Each run is a new interpreter (`python -m gradscope diagnose SCRIPT --quiet
--fail-on never`), so the time includes interpreter start, imports and
verification. Run: python benchmarks/diagnose_time.py [--repeat N] [folder ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(script: Path) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "gradscope", "diagnose", str(script), "--quiet", "--fail-on", "never"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    wall = time.perf_counter() - started
    line = (out.stdout.strip().splitlines() or [out.stderr.strip()])[0]
    return wall, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", default=[str(ROOT / "sample_models")])
    parser.add_argument("--repeat", type=int, default=1, help="runs per script; the median is reported")
    args = parser.parse_args()
    scripts = sorted(p for folder in args.folders for p in Path(folder).glob("*.py"))
    print(f"{os.cpu_count()} cores, python {sys.version.split()[0]}, {args.repeat} run(s) per script")
    print(f"{'script':34} {'wall s':>7}  verdict")
    walls = []
    for script in scripts:
        runs = [timed(script) for _ in range(args.repeat)]
        wall = statistics.median(r[0] for r in runs)
        walls.append(wall)
        print(f"{script.stem:34} {wall:>7.2f}  {runs[0][1]}")
    print(f"median {statistics.median(walls):.2f} s over {len(walls)} scripts (goal <= 3 s); max {max(walls):.2f} s")


if __name__ == "__main__":
    main()
