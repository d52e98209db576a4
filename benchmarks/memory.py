"""Extra memory of gradscope.watch, exact and low, against the parameters' size.

Two measures, each in a fresh subprocess training a wide MLP with Adam:
- tensor memory: every tensor byte the probe keeps between steps
  (Probe.held_bytes) plus the peak of what its hooks allocate and free during a
  step, read from torch's memory profiler;
- process memory: peak resident memory with watch minus without (ru_maxrss), a
  cross-check that counts everything resident. glibc's mmap threshold is fixed
  and every mode first watches a small model, so allocator heuristics and code
  pages loaded once do not show up as memory of the watched model.
Then exact and low mode run on identical copies of a model and batches, and
the low mode's per-layer update ratios are compared with the exact ones.

Run: python benchmarks/memory.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

WIDTH = 4096
DEPTH = 4  # Linear layers; 34.7M parameters, 139 MB in float32

CHILD = r"""
import json, resource, sys, torch
from torch import nn
import gradscope
import gradscope.doors.watch  # loaded in every mode, so module memory is not counted as watch's
mode, width, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
layers = [nn.Linear(256, width), nn.ReLU()]
for _ in range(depth - 2):
    layers += [nn.Linear(width, width), nn.ReLU()]
layers += [nn.Linear(width, 10)]
model = nn.Sequential(*layers)
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
x, y = torch.randn(64, 256), torch.randint(0, 10, (64,))
def step():
    opt.zero_grad(set_to_none=False)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss
step()  # Adam's state and the gradients exist before measuring, as in any real loop
# Every mode, off included, first runs watch on a small model: the code pages of
# libtorch and Python that watch touches are then resident in all modes alike, and
# what is left to measure is the memory that grows with the watched model.
tiny = nn.Sequential(nn.Linear(300, 300), nn.ReLU(), nn.Linear(300, 10))
tiny_opt = torch.optim.Adam(tiny.parameters(), lr=1e-4)
for warm in ("exact", "low"):
    with gradscope.watch(tiny, tiny_opt, memory=warm) as tw:
        for _ in range(2):
            tiny_opt.zero_grad()
            tiny_loss = nn.functional.cross_entropy(tiny(torch.randn(8, 300)), torch.randint(0, 10, (8,)))
            tiny_loss.backward()
            tw.loss(tiny_loss)
            tiny_opt.step()
    tw.report()
del tiny, tiny_opt, tw
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kept = 0
if mode == "off":
    for _ in range(3):
        step()
else:
    with gradscope.watch(model, opt, memory=mode) as w:
        for _ in range(3):
            w.loss(step())
    kept = w.probe.held_bytes
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
transient = 0
if mode != "off":
    from torch.profiler import ProfilerActivity, profile
    probe = w.probe
    opt.zero_grad(set_to_none=False)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        probe._pre_step(opt, (opt,), {})
        probe.add_loss(loss)
        probe._post_step(opt, (opt,), {})
    current = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        current += event.self_cpu_memory_usage
        transient = max(transient, current)
params = sum(p.numel() * p.element_size() for p in model.parameters())
result = {"peak_kb": peak, "base_kb": base, "params_bytes": params, "kept_bytes": kept, "transient": transient}
print(json.dumps(result))
"""


def child(mode: str) -> dict[str, int]:
    # glibc raises its mmap threshold after a large block is freed, so whether Adam's
    # temporaries go back to the OS, and with them the peak resident size, would
    # depend on allocation order. A fixed threshold (same for every mode) takes
    # that out of the process measure.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(WIDTH), str(DEPTH)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def accuracy() -> tuple[float, int]:
    """Largest relative error of low-mode update ratios against exact ones, and layers compared."""
    import copy

    import torch
    from torch import nn

    import gradscope

    torch.manual_seed(1)
    base = nn.Sequential(
        nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )  # fmt: skip
    batches = [(torch.randn(64, 512), torch.randint(0, 10, (64,))) for _ in range(10)]
    ratios = {}
    for mode in ("exact", "low"):
        model = copy.deepcopy(base)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        with gradscope.watch(model, opt, memory=mode) as w:
            for x, y in batches:
                opt.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
        ratios[mode] = [s.update_ratio for s in w.probe.records]
    worst, compared = 0.0, 0
    for exact_step, low_step in zip(ratios["exact"], ratios["low"], strict=True):
        for e, lo in zip(exact_step, low_step, strict=True):
            if e > 0:
                worst = max(worst, abs(lo - e) / e)
                compared += 1
    return worst, compared


def main() -> None:
    runs = {mode: [child(mode) for _ in range(3)] for mode in ("off", "exact", "low")}
    params = runs["off"][0]["params_bytes"]
    off_peak = statistics.median(r["peak_kb"] for r in runs["off"]) * 1024
    print(f"model: {DEPTH} Linear layers, width {WIDTH}, {params / 1e6:.1f} MB of float32 parameters")
    print(
        f"{'mode':8} {'tensor MB':>10} {'x params':>9}   (kept {'MB':>7} + hook peak {'KB':>7})"
        f"   {'process MB':>10} {'x params':>9}"
    )
    for mode in ("exact", "low"):
        peak = statistics.median(r["peak_kb"] for r in runs[mode]) * 1024
        kept = runs[mode][0]["kept_bytes"]
        transient = max(r["transient"] for r in runs[mode])
        tensor = kept + transient
        extra = max(0.0, peak - off_peak)
        print(
            f"{mode:8} {tensor / 1e6:>10.3f} {tensor / params:>8.4f}x   (kept {kept / 1e6:>7.3f} + hook peak "
            f"{transient / 1e3:>7.1f})   {extra / 1e6:>10.2f} {extra / params:>8.4f}x"
        )
    worst, compared = accuracy()
    print(
        f"low-mode update ratios vs exact: worst relative error {worst:.2%} over {compared} layer-steps (target < 5%)"
    )


if __name__ == "__main__":
    main()
