"""`gradscope diagnose` on every sample model on CUDA and on the CPU: the same verdicts and statuses?

For each sample_models/*.py, two runs of the command line, each in a fresh process:
    python -m gradscope diagnose MODEL --device {cuda,cpu} --seed 0 --budget 0 --json R.json
                                       --fail-on never --quiet
(`--budget 0`: no time limit, so both measure the same number of steps, and verification runs as
by default). From the two JSON reports (the documented schema, docs/contract.md):
- the verdict and every layer's status must be equal (pass/FAIL);
- every layer's median figures (grad_norm, weight_norm, update_norm, update_ratio,
  zero_grad_frac, dead_unit_frac) are compared at 1e-3 relative; the ones beyond are listed
  (info, not a failure). Expected causes of differences: cuDNN convolutions use TF32 by default
  (about 1e-3 relative), dropout draws from the CUDA generator (other masks), a few CUDA
  backward kernels add in a different order, and a model driven towards non-finite values or a
  steep loss amplifies any of these over 20 steps.
The runs go several at a time (the GPU machine has 16 cores; each process gets 2 threads).

Run: python benchmarks/gpu_diagnose_compare.py [--jobs N] [--only NAME] [--json ROWS.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
FIGURES = ("grad_norm", "weight_norm", "update_norm", "update_ratio", "zero_grad_frac", "dead_unit_frac")
RTOL = 1e-3
# Below this a figure is zero for the comparison (a dead unit fraction of 0 against 1e-12, say).
ATOL = 1e-12


def diagnose(
    script: Path, device: str, role: str, folder: Path, timeout: float
) -> tuple[dict[str, Any] | None, str, float]:
    """The report of one run (None if it wrote none), what went wrong, and its wall seconds."""
    report = folder / f"{script.stem}.{role}.json"
    args = [sys.executable, "-m", "gradscope", "diagnose", str(script), "--device", device, "--seed", "0"]
    args += ["--budget", "0", "--json", str(report), "--fail-on", "never", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    started = time.perf_counter()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, check=False)
    except subprocess.TimeoutExpired:
        return None, f"{device}: timed out after {timeout:g} s", time.perf_counter() - started
    wall = time.perf_counter() - started
    if done.returncode != 0 or not report.exists():
        lines = [line for line in (done.stderr + done.stdout).strip().splitlines() if line.strip()]
        return None, f"{device}: exit {done.returncode}: {lines[-1] if lines else ''}"[:240], wall
    return json.loads(report.read_text()), "", wall


def number(value: Any) -> float | None:
    """A figure of the JSON report as a float: the strings "NaN"/"Infinity" too; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return float(value.replace("Infinity", "inf"))
    return float(value)


def relative(a: float | None, b: float | None) -> float:
    """|a - b| relative to the larger; 0 when both agree exactly (also both NaN or both None)."""
    if a is None or b is None:
        return 0.0 if a is b else math.inf
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    if math.isinf(a) or math.isinf(b):
        return 0.0 if a == b else math.inf
    scale = max(abs(a), abs(b))
    return 0.0 if scale <= ATOL else abs(a - b) / scale


def compare(name: str, cpu: dict[str, Any], gpu: dict[str, Any]) -> dict[str, str]:
    problems = []
    if cpu["verdict"] != gpu["verdict"]:
        problems.append(f"verdict cpu {cpu['verdict']} / cuda {gpu['verdict']}")
    layers = list(zip(cpu["layers"], gpu["layers"], strict=False))
    if len(cpu["layers"]) != len(gpu["layers"]):
        problems.append(f"{len(cpu['layers'])} layers on cpu, {len(gpu['layers'])} on cuda")
    unequal = [f"{c['name']} {c['status']}/{g['status']}" for c, g in layers if c["status"] != g["status"]]
    if unequal:
        problems.append(f"statuses cpu/cuda differ: {', '.join(unequal[:4])}" + (" ..." if len(unequal) > 4 else ""))
    differ = []
    compared = 0
    for c, g in layers:
        for figure in FIGURES:
            if figure not in c:
                continue
            compared += 1
            r = relative(number(c.get(figure)), number(g.get(figure)))
            if r > RTOL:
                differ.append((r, f"{c['name']}.{figure} {number(c.get(figure)):.4g}/{number(g.get(figure)):.4g}"))
    differ.sort(reverse=True)
    codes = [sorted(f["code"] for f in r["findings"] if not f.get("withdrawn")) for r in (cpu, gpu)]
    notes = "" if codes[0] == codes[1] else f"; findings cpu {codes[0]} / cuda {codes[1]}"
    if differ:
        listed = "; ".join(f"{text} ({r:.1e})" for r, text in differ[:3])
        figures = f"{len(differ)}/{compared} figures beyond {RTOL:g}: {listed}" + (" ..." if len(differ) > 3 else "")
    else:
        worst = max(
            (relative(number(c.get(f)), number(g.get(f))) for c, g in layers for f in FIGURES if f in c), default=0
        )
        figures = f"all {compared} figures within {RTOL:g} (max {worst:.1e})"
    verdict = f"{gpu['verdict']}, {len(layers)} statuses equal" if not problems else "; ".join(problems)
    return {
        "check": f"diagnose {name}",
        "figure": f"{verdict}; {figures}{notes}",
        "target": "verdict and statuses equal",
        "result": "FAIL" if problems else "pass",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=8, help="runs at a time")
    parser.add_argument("--only", default="", help="the sample models whose name contains this")
    parser.add_argument("--timeout", type=float, default=90, help="seconds one run may take")
    parser.add_argument("--json", type=Path, help="write the rows for benchmarks/gpu_check.sh here, as they come")
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU (cpu: a smoke run)")
    args = parser.parse_args()
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("no CUDA device here")
    scripts = [p for p in sorted(SAMPLES.glob("*.py")) if args.only in p.stem]
    rows: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        folder = Path(tmp)
        # The CUDA runs first in the queue: they are the ones under test if time runs short.
        futures = {
            pool.submit(diagnose, script, device, role, folder, args.timeout): (script, role)
            for role, device in (("gpu", args.device), ("cpu", "cpu"))
            for script in scripts
        }
        results: dict[tuple[str, str], tuple[dict[str, Any] | None, str, float]] = {}
        for future in as_completed(futures):
            script, role = futures[future]
            results[script.stem, role] = future.result()
            if (script.stem, "gpu") not in results or (script.stem, "cpu") not in results:
                continue
            (gpu, gpu_error, gpu_s), (cpu, cpu_error, cpu_s) = results[script.stem, "gpu"], results[script.stem, "cpu"]
            if gpu is None or cpu is None:
                error = "; ".join(e for e in (gpu_error, cpu_error) if e)
                check = f"diagnose {script.stem}"
                rows[script.stem] = {"check": check, "figure": error, "target": "both run", "result": "FAIL"}
            else:
                rows[script.stem] = compare(script.stem, cpu, gpu)
                rows[script.stem]["figure"] += f" ({args.device} {gpu_s:.1f} s, cpu {cpu_s:.1f} s)"
            print(f"{rows[script.stem]['result']:5} {rows[script.stem]['check']}: {rows[script.stem]['figure']}")
            if args.json:
                args.json.write_text(json.dumps({"rows": [rows[s.stem] for s in scripts if s.stem in rows]}))
    failed = sum(r["result"] != "pass" for r in rows.values())
    summary = {
        "check": "diagnose: all sample models",
        "figure": f"{len(rows) - failed}/{len(scripts)} with verdict and statuses equal on {args.device} and cpu",
        "target": "all",
        "result": "FAIL" if failed or len(rows) < len(scripts) else "pass",
    }
    print(f"{summary['result']:5} {summary['figure']}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [*(rows[s.stem] for s in scripts if s.stem in rows), summary]}))


if __name__ == "__main__":
    main()
