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

With --device cuda (the GPT-2 part only: --no-lbfgs, since the LBFGS model needs the fetched
checkout): both processes train on the GPU, plain training's step times are taken between
torch.cuda.synchronize() calls, and memory is the peak GPU memory of each process
(torch.cuda.max_memory_allocated; the diagnosis runs the command line in a wrapper process that
reads it at the end). Targets there: diagnosed with default settings in <= 30 s wall, healthy,
peak GPU memory <= 1.3x plain training's. --json writes rows of figures and targets (for
benchmarks/gpu_check.sh).

Run: python benchmarks/scale.py   (targets: GPT-2 <= 90 s, healthy, memory <= 1.3x plain;
                                   LBFGS within its budget)
     python benchmarks/scale.py --device cuda --no-lbfgs [--json PATH]   (GPT-2 <= 30 s on a GPU)
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "scale_model.py"
LBFGS = ROOT / "benchmarks" / "scale_lbfgs_model.py"
PLAIN_STEPS = 3  # Adam's state exists after the first step: the peak is reached by then

PLAIN = r"""
import json, runpy, sys, time, torch
device = torch.device(sys.argv[3] if len(sys.argv) > 3 else "cpu")
cuda = device.type == "cuda"
ns = runpy.run_path(sys.argv[1])
model, data = ns["model"].to(device), ns["data"]
opt = ns["optimizer"](model.parameters())
model.train()
times = []
for batch in data[: int(sys.argv[2])]:
    batch = {k: v.to(device) for k, v in batch.items()}
    if cuda:
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(**batch).loss
    loss.backward()
    opt.step()
    if cuda:
        torch.cuda.synchronize(device)
    times.append(time.perf_counter() - started)
peak = torch.cuda.max_memory_allocated(device) if cuda else 0
print(json.dumps({"step_s": times, "loss": float(loss), "peak_gpu": peak}))
"""

# `python -m gradscope ...` in this process, then its peak GPU memory into the file named first.
# The command line ends with os._exit (a script's stray threads must not keep it alive), which
# skips atexit: the peak is read in a wrapper of os._exit.
DIAGNOSE_GPU = r"""
import json, os, runpy, sys, torch
out = sys.argv[1]
sys.argv = ["gradscope", *sys.argv[2:]]
real_exit = os._exit
def record_and_exit(code):
    peak = torch.cuda.max_memory_allocated() if torch.cuda.is_initialized() else 0
    with open(out, "w") as f:
        json.dump({"peak_gpu": peak, "exit": code}, f)
    sys.stdout.flush()
    real_exit(code)
os._exit = record_and_exit
try:
    runpy.run_module("gradscope", run_name="__main__", alter_sys=True)
except SystemExit as stop:
    record_and_exit(stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1))
record_and_exit(0)
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


def diagnose(script: Path, device: str = "") -> tuple[float, int, dict[str, Any]]:
    """`gradscope diagnose script` with default settings (and `--device` when given): wall seconds,
    peak RSS in MB, the report. On CUDA the report's "gpu_peak" is the process's peak GPU bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        report, peak = Path(tmp) / "run.json", Path(tmp) / "peak.json"
        command = ["diagnose", str(script), "--json", str(report), "--quiet", *(["--device", device] if device else [])]
        if device.startswith("cuda"):
            args = [sys.executable, "-c", DIAGNOSE_GPU, str(peak), *command]
        else:
            args = [sys.executable, "-m", "gradscope", *command]
        wall, peak_mb, _, code = run(args)
        if not report.exists():
            sys.exit(f"gradscope wrote no report for {script.name} (exit {code})")
        data: dict[str, Any] = json.loads(report.read_text())
        if peak.exists():
            data["gpu_peak"] = json.loads(peak.read_text())["peak_gpu"]
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


# Targets of a default diagnosis of GPT-2 124M on a GPU (issue 25).
GPU_WALL_S, MEMORY_RATIO = 30.0, 1.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--device", default="", help="cpu, cuda or cuda:N for both processes (default: gradscope's auto)"
    )
    parser.add_argument("--no-lbfgs", action="store_true", help="skip the LBFGS model (it needs the fetched checkout)")
    parser.add_argument("--json", type=Path, help="write rows of figures and targets here (for gpu_check.sh)")
    args = parser.parse_args()
    if args.device.startswith("cuda"):
        gpt2_on_gpu(args.device, args.json)
    else:
        gpt2_on_cpu(args.device)
    if not args.no_lbfgs:
        lbfgs()


def gpt2_on_gpu(device: str, rows_path: Path | None) -> None:
    """GPT-2 124M on a GPU: plain training against a default diagnosis, wall time and peak GPU memory."""
    _, plain_mb, text, code = run([sys.executable, "-c", PLAIN, str(SCRIPT), str(PLAIN_STEPS), device])
    if code != 0:
        sys.exit(f"plain training on {device} failed (exit {code})")
    plain = json.loads(text)
    step_s = min(plain["step_s"][1:] or plain["step_s"])
    wall, gs_mb, data = diagnose(SCRIPT, device)
    run_info = data["run"]
    plain_gpu, gs_gpu = plain["peak_gpu"], data.get("gpu_peak", 0)
    # Nothing read (a wrapper that did not record, a run that stayed on the CPU) is no pass.
    memory = gs_gpu / plain_gpu if gs_gpu and plain_gpu else math.inf
    print(f"model: GPT-2 size, {run_info['total_params'] / 1e6:.0f}M parameters, block 256, batch 4, AdamW, {device}")
    print(
        f"plain training: {step_s * 1e3:.1f} ms a step, peak GPU memory {plain_gpu / 2**20:.0f} MB, RSS {plain_mb} MB"
    )
    print(
        f"gradscope diagnose (default settings, budget {run_info['budget_s']:g} s): {wall:.1f} s wall, "
        f"{run_info['steps']} steps measured on {run_info['device']}, verdict {data['verdict']}, peak GPU memory "
        f"{gs_gpu / 2**20:.0f} MB ({memory:.2f}x plain), RSS {gs_mb} MB ({gs_mb / plain_mb:.2f}x plain)"
    )
    for note in data["notes"]:
        print(f"  note: {note}")
    ok = wall <= GPU_WALL_S and data["verdict"] == "healthy" and memory <= MEMORY_RATIO
    print(f"targets (<= {GPU_WALL_S:g} s, healthy, <= {MEMORY_RATIO}x GPU memory):", "met" if ok else "NOT met")
    if rows_path:
        name = "GPT-2 124M diagnosed with defaults"
        figure = (
            f"{wall:.1f} s wall, {run_info['steps']} steps on {run_info['device']} (plain step {step_s * 1e3:.0f} ms)"
        )
        rows = [
            {"check": f"{name}: wall", "figure": figure, "target": f"<= {GPU_WALL_S:g} s",
             "result": "pass" if wall <= GPU_WALL_S else "FAIL"},
            {"check": f"{name}: verdict", "figure": data["verdict"], "target": "healthy",
             "result": "pass" if data["verdict"] == "healthy" else "FAIL"},
            {"check": f"{name}: peak GPU memory / plain",
             "figure": f"{memory:.2f}x ({gs_gpu / 2**20:.0f} MB vs {plain_gpu / 2**20:.0f} MB)",
             "target": f"<= {MEMORY_RATIO}x", "result": "pass" if memory <= MEMORY_RATIO else "FAIL"},
            {"check": f"{name}: host RSS / plain", "figure": f"{gs_mb / plain_mb:.2f}x ({gs_mb} MB vs {plain_mb} MB)",
             "target": "", "result": "info"},
        ]  # fmt: skip
        rows_path.write_text(json.dumps({"rows": rows}))


def gpt2_on_cpu(device: str) -> None:
    _, plain_mb, text, code = run([sys.executable, "-c", PLAIN, str(SCRIPT), str(PLAIN_STEPS), device or "cpu"])
    if code != 0:
        sys.exit(f"plain training failed (exit {code})")
    plain = json.loads(text)
    step_s = min(plain["step_s"][1:] or plain["step_s"])
    wall, gs_mb, data = diagnose(SCRIPT, device)
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


if __name__ == "__main__":
    main()
