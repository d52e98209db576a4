"""gradscope.watch in a torch.distributed job: two gloo processes on CPU.

tests/dist_worker.py trains the same tiny model (Linear, LayerNorm, Embedding and a
head tied to the embedding) under DDP, FSDP2 (`fully_shard`) and HSDP, each rank on
half of every batch; here the same model is trained in one process on the whole
batches, and the figures of every rank must be that run's. "accumulated" is DDP with
two micro-batches per step, the first inside no_sync(), and a last step taken inside
no_sync() that must not be recorded (so it has as many steps as the others). "ddp late"
hands each loss over after its step, as the framework callbacks do.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import gradscope

sys.path.insert(0, str(Path(__file__).parent))
import dist_worker
from harness import ROOT, SCRIPTS

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="needs torch.distributed with gloo",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], Path]:
    out = tmp_path_factory.mktemp("dist")
    launch([str(Path(__file__).parent / "dist_worker.py"), str(out)], out)
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)], out


def launch(args: list[str], out: Path, timeout: float = 150) -> list[str]:
    """Run `python ARGS` as both ranks of a gloo job, as torchrun would; their outputs.
    `{rank}` in an argument becomes the process's rank."""
    root = ROOT
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = {
            **os.environ,
            "RANK": str(rank),
            "WORLD_SIZE": "2",
            "LOCAL_RANK": str(rank),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "OMP_NUM_THREADS": "1",
            "COLUMNS": "200",
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        }
        command = [sys.executable, *(a.replace("{rank}", str(rank)) for a in args)]
        procs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=timeout)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for rank, (p, log) in enumerate(zip(procs, logs, strict=True)):
        assert p.returncode == 0, f"rank {rank} failed:\n{log[-4000:]}"
    return logs


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    """The same training in one process, on the whole batches (one thread, as the ranks;
    the suite's thread count is put back after)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return dist_worker.train(dist_worker.tiny(), slice(0, 8))
    finally:
        torch.set_num_threads(threads)


def test_the_reduction_sums_divides_by_replicas_and_averages_the_tail(
    ranks: tuple[list[dict[str, Any]], Path],
) -> None:
    results, _ = ranks
    for result in results:
        # Sums 1 + 2, counted once or (as under HSDP with two replicas) twice; the tail 10, 20 averaged.
        assert result["sum"] == [[3.0, 15.0], [1.5, 15.0]]


def rel_err(got: list[list[float]], want: list[list[float]]) -> float:
    worst = 0.0
    for row_g, row_w in zip(got, want, strict=True):
        for a, b in zip(row_g, row_w, strict=True):
            worst = max(worst, abs(a - b) / max(abs(b), 1e-30))
    return worst


@pytest.mark.parametrize("kind", ["ddp", "fsdp", "hsdp", "accumulated", "ddp late"])
def test_figures_equal_one_process_on_the_whole_batch(
    kind: str, ranks: tuple[list[dict[str, Any]], Path], single: dict[str, Any]
) -> None:
    results, _ = ranks
    for rank, result in enumerate(results):
        got = result[kind]
        assert got["layers"] == single["layers"], f"{kind} rank {rank}: layers named or typed differently"
        for figure in ("grad", "weight", "update", "loss"):
            want = single[figure] if figure != "loss" else [single["loss"]]
            have = got[figure] if figure != "loss" else [got["loss"]]
            err = rel_err(have, want)
            assert err < 1e-5, f"{kind} rank {rank}: {figure} norms off by {err:.2e} relative"
        assert rel_err(got["zero"], single["zero"]) < 1e-9
        assert got["verdict"] == single["verdict"]
    # Sharded: each rank really held only part of each parameter, so its local norms alone
    # would have been short; the check above then shows the sums were made whole.


def test_nan_on_one_rank_reaches_rank_0s_report(ranks: tuple[list[dict[str, Any]], Path]) -> None:
    results, _ = ranks
    for rank, result in enumerate(results):
        nan = result["nan"]
        assert nan["verdict"] == "nonfinite", f"rank {rank} verdict {nan['verdict']}"
        assert nan["nonfinite"][:2] == [0, 0]
        assert nan["nonfinite"][2] >= 1
        assert math.isnan(nan["grad"][2][1]), "block.0's gradient norm is NaN over the whole parameter"


@pytest.mark.parametrize("kind", ["ddp", "fsdp", "accumulated"])
def test_one_collective_per_recorded_step(kind: str, ranks: tuple[list[dict[str, Any]], Path]) -> None:
    results, _ = ranks
    for result in results:
        assert result[kind]["all_reduce"] == dist_worker.STEPS


def test_losses_handed_after_their_step_are_averaged_in_one_collective_at_the_end(
    ranks: tuple[list[dict[str, Any]], Path],
) -> None:
    # Each rank's half-batch losses differ; the figures test shows they end up as the job's mean.
    for result in ranks[0]:
        assert result["ddp late"]["all_reduce"] == dist_worker.STEPS + 1


def test_only_rank_0_writes(ranks: tuple[list[dict[str, Any]], Path]) -> None:
    results, out = ranks
    assert [r["ddp"]["main"] for r in results] == [True, False]
    assert (out / "ddp0.json").is_file()
    assert not (out / "ddp1.json").exists()
    assert gradscope.load_run(str(out / "ddp0.json"))["step"].nunique() == dist_worker.STEPS


def test_a_watch_that_is_told_not_to_reduce_measures_its_own_shard(
    ranks: tuple[list[dict[str, Any]], Path], single: dict[str, Any]
) -> None:
    """distributed=False under FSDP2: no collective, and each rank's figures are over its own
    shard, so the two ranks' squares add up to the whole parameter's."""
    results, _ = ranks
    alone = [r["fsdp alone"] for r in results]
    assert [a["all_reduce"] for a in alone] == [0, 0]
    assert [a["main"] for a in alone] == [True, True]
    for figure in ("grad", "weight", "update"):
        whole = [[math.hypot(a, b) for a, b in zip(r0, r1, strict=True)] for r0, r1 in zip(
            alone[0][figure], alone[1][figure], strict=True)]  # fmt: skip
        assert rel_err(whole, single[figure]) < 1e-5, figure
        assert all(a < b for a, b in zip(alone[0][figure][0], single[figure][0], strict=True))


def test_gradscope_run_under_torchrun_reports_the_jobs_figures_once(tmp_path: Path, single: dict[str, Any]) -> None:
    """`torchrun -m gradscope run ddp_train.py`: every rank runs gradscope; rank 0 prints and writes."""
    from gradscope.render.json import load

    script = SCRIPTS / "run" / "ddp_train.py"
    logs = launch(
        ["-m", "gradscope", "run", "--no-stop", "--json", str(tmp_path / "run{rank}.json"), str(script)], tmp_path
    )
    assert "verdict:" in logs[0]
    assert "verdict:" not in logs[1]
    assert not (tmp_path / "run1.json").exists()
    report = load(tmp_path / "run0.json")
    steps = report.record.steps
    assert [layer.name for layer in report.record.layers] == [name for name, _ in single["layers"]]
    assert rel_err([list(r.grad_norm) for r in steps], single["grad"]) < 1e-5  # the job's, not rank 0's half
    assert rel_err([list(r.update_norm) for r in steps], single["update"]) < 1e-5
    assert rel_err([[r.loss for r in steps]], [single["loss"]]) < 1e-5


def test_under_torchrun_a_finding_reaches_rank_0s_report_and_exit_code(tmp_path: Path) -> None:
    """torchrun stops the other ranks once one fails: the non-main ranks end 0 so rank 0, which
    speaks for the job, is not stopped before its report is written; its exit code is the job's."""
    script = SCRIPTS / "run" / "ddp_lr_too_high.py"
    out = tmp_path / "run.json"
    root = ROOT
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port"]
    command += [str(free_port()), "-m", "gradscope", "run", "--json", str(out), str(script)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stdout.count("verdict: unstable") == 1, done.stdout
    assert "local_rank: 0" in done.stderr and "local_rank: 1" not in done.stderr  # only rank 0 failed
    assert json.loads(out.read_text())["verdict"] == "unstable"
