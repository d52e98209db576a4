"""gradscope on real-size models with default settings: GPT-2 (124M) against plain training, and a
multi-evaluation LBFGS model against its time budget.

Two fresh processes on the same model script (benchmarks/scale_model.py):
- plain training: the script's model, batches and AdamW, PLAIN_STEPS steps of a bare loop;
  its step times and peak resident memory (ru_maxrss);
- `gradscope diagnose benchmarks/scale_model.py --json ...` with default settings (the time
  budget plans the steps); its wall time, verdict, steps measured and peak resident memory.
Both processes import the same libraries and build the same model, so the memory ratio is
what gradscope adds to training: its weight snapshot and the probe's buffers (the initial
state replays start from is kept in a temporary file for a model this size).
Then pytorch/examples time_sequence_prediction at its own size (benchmarks/scale_lbfgs_model.py,
LBFGS with up to 20 closure evaluations a step, float64; needs the fetched pytorch/examples
checkout) diagnosed with default settings: its wall time against the budget.

Run: python benchmarks/scale.py   (targets: GPT-2 <= 90 s, healthy, memory <= 1.3x plain;
                                   LBFGS within its budget)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "scale_model.py"
LBFGS = ROOT / "benchmarks" / "scale_lbfgs_model.py"
PLAIN_STEPS = 3  # Adam's state exists after the first step: the peak is reached by then

PLAIN = r"""
import json, runpy, sys, time, torch
ns = runpy.run_path(sys.argv[1])
model, data = ns["model"], ns["data"]
opt = ns["optimizer"](model.parameters())
model.train()
times = []
for batch in data[: int(sys.argv[2])]:
    started = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(**batch).loss
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - started)
print(json.dumps({"step_s": times, "loss": float(loss)}))
"""


def run(args: list[str]) -> tuple[float, int, str, int]:
    """Wall seconds, peak RSS in MB, stdout and exit status of one child process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    return wall, usage.ru_maxrss // 1024, text, os.waitstatus_to_exitcode(status)


def diagnose(script: Path) -> tuple[float, int, dict[str, Any]]:
    """`gradscope diagnose script` with default settings: wall seconds, peak RSS in MB, the report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "run.json"
        args = [sys.executable, "-m", "gradscope", "diagnose", str(script), "--json", str(report), "--quiet"]
        wall, peak_mb, _, code = run(args)
        if not report.exists():
            sys.exit(f"gradscope wrote no report for {script.name} (exit {code})")
        data: dict[str, Any] = json.loads(report.read_text())
    return wall, peak_mb, data


def lbfgs() -> None:
    wall, _, data = diagnose(LBFGS)
    budget = data["run"]["budget_s"]
    print(
        f"\nLBFGS time_sequence_prediction (float64, max_iter 20): {wall:.1f} s wall for a {budget:g} s budget, "
        f"{data['run']['steps']} steps measured, verdict {data['verdict']}"
    )
    for note in data["notes"]:
        print(f"  note: {note}")
    print("target (within the budget):", "met" if wall <= budget else "NOT met")


def main() -> None:
    _, plain_mb, text, code = run([sys.executable, "-c", PLAIN, str(SCRIPT), str(PLAIN_STEPS)])
    if code != 0:
        sys.exit(f"plain training failed (exit {code})")
    plain = json.loads(text)
    step_s = min(plain["step_s"][1:] or plain["step_s"])
    wall, gs_mb, data = diagnose(SCRIPT)
    params = data["run"]["total_params"]
    print(f"model: GPT-2 size, {params / 1e6:.0f}M parameters, block 256, batch 4, AdamW")
    print(f"plain training: {step_s:.2f} s a step, peak memory {plain_mb} MB")
    print(
        f"gradscope diagnose (default settings, budget {data['run']['budget_s']:g} s): {wall:.1f} s wall, "
        f"{data['run']['steps']} steps measured, verdict {data['verdict']}, peak memory {gs_mb} MB "
        f"({gs_mb / plain_mb:.2f}x plain)"
    )
    for note in data["notes"]:
        print(f"  note: {note}")
    ok = wall <= 90 and data["verdict"] == "healthy" and gs_mb <= 1.3 * plain_mb
    print("targets (<= 90 s, healthy, <= 1.3x memory):", "met" if ok else "NOT met")
    lbfgs()


if __name__ == "__main__":
    main()
