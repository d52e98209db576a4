"""`gradscope run SCRIPT ARGS`: unmodified training scripts, observed from outside and stopped cleanly.

The scripts under tests/scripts/run/ are written as users write them (argparse + DataLoader,
nanoGPT's train.py with a config file, a GAN, a checkpoint in `finally`); none of them knows
gradscope. Runs go through typer's CliRunner in this process (the process exit path of
`python -m gradscope` is the same for every command and tested in test_cli.py).
"""

from __future__ import annotations

import json
import math
import signal
import sys
from pathlib import Path
from typing import Any

import harness
import pytest
import torch
from harness import ROOT, SCRIPTS, error_lines, write_script

from gradscope.config import RunConfig
from gradscope.doors.diagnose import run_diagnosis

RUN = SCRIPTS / "run"
NANOGPT = RUN / "nanogpt"


def invoke(*args: Any) -> Any:
    """`gradscope run ARGS`."""
    return harness.invoke("run", *args)


def run_json(tmp_path: Path, *args: Any, code: int | None = 0) -> dict[str, Any]:
    out = tmp_path / "run.json"
    result = invoke("--json", out, *args)
    if code is not None:
        assert result.exit_code == code, result.output
    return dict(json.loads(out.read_text()))


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {layer["name"]: layer["status"] for layer in report["layers"]}


def losses(report: dict[str, Any]) -> list[float | None]:
    return [step["loss"] for step in report["steps"]]


def seen_after(folder: Path) -> dict[str, int]:
    return dict(json.loads((folder / "seen.json").read_text()))


# ------------------------------------------------------------------ scripts in users' styles


def test_deep_sigmoid_train_py_is_judged_as_diagnose_judges_its_model_script(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--steps", "20", RUN / "deep_sigmoid_train.py", "--epochs", "5", code=1)
    diagnosed = run_diagnosis(RunConfig(ROOT / "sample_models" / "deep_sigmoid.py", steps=20, verify=False))
    assert report["verdict"] == diagnosed.verdict.value == "vanishing"
    expected = {layer.name: s.value for layer, s in zip(diagnosed.record.layers, diagnosed.statuses, strict=True)}
    assert statuses(report) == expected
    # The same weights, data and steps: the loss the script called backward() on is diagnose's loss.
    assert losses(report) == pytest.approx(diagnosed.record.losses(), rel=1e-6)
    assert report["run"]["classes"] == diagnosed.record.run.classes == 4
    assert any("gradscope diagnose model.py" in note for note in report["notes"])
    assert report["recommendations"] and all(not r.get("verified") for r in report["recommendations"])


def test_argparse_dataloader_epoch_script_is_healthy_and_stopped_after_its_steps(tmp_path: Path) -> None:
    done = tmp_path / "done"
    args = ("--steps", "12", RUN / "mnist_style.py", "--epochs", "3", "--batch-size", "16", "--done-file", done)
    report = run_json(tmp_path, *args)
    assert report["verdict"] == "healthy"
    assert statuses(report) == {"fc1": "healthy", "fc2": "healthy", "fc3": "healthy"}
    assert len(report["steps"]) == 12
    assert not done.exists()  # stopped in its first epoch, before the end of training
    first = report["steps"][0]["loss"]
    assert math.log(3) - 0.3 < first < math.log(3) + 0.3  # a 3-class cross-entropy at the start
    assert report["run"]["lr"] == [0.05]
    assert any("stopped mnist_style.py after 12 step(s)" in note for note in report["notes"])


def test_nanogpt_style_train_py_with_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from its folder, as nanoGPT's README says: configurator.py and the config are found from there.
    monkeypatch.chdir(NANOGPT)
    out = tmp_path / "out"
    result = invoke(
        "--json", tmp_path / "run.json", "--steps", "6",
        "train.py", "config/train_tiny_char.py", "--compile=False", f"--out_dir={out}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Overriding: compile = False" in result.output  # the script's own output, unchanged
    assert out.is_dir()
    report = json.loads((tmp_path / "run.json").read_text())
    names = [layer["name"] for layer in report["layers"]]
    assert names[0] == "transformer.wte" and "transformer.h.1.mlp.c_proj" in names
    assert report["layers"][0]["shared_with"] == ["lm_head"]  # tied weights measured once
    assert len(report["steps"]) == 6
    # Two micro-steps each backward() loss / 2: their sum is the step's loss, ~ln(65) at the start.
    assert report["steps"][0]["loss"] == pytest.approx(math.log(65), abs=0.15)
    assert report["run"]["classes"] == 65
    assert report["run"]["optimizer"] == "AdamW"
    assert report["verdict"] == "healthy"


def test_gan_two_optimizers_each_observed_and_named(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--steps", "8", RUN / "gan.py", "--niter", "200", code=None)
    assert [layer["name"] for layer in report["layers"]] == [
        "netD.0", "netD.2", "netD.4", "netG.0", "netG.2", "netG.4",
    ]  # fmt: skip
    assert all(layer["status"] not in {"not_optimized", "unused"} for layer in report["layers"])
    assert len(report["steps"]) == 8
    notes = " ".join(report["notes"])
    assert "optimizerD (Adam) steps 3 layer(s): netD.0, netD.2, netD.4" in notes
    assert "optimizerG (Adam) steps 3 layer(s): netG.0, netG.2, netG.4" in notes
    assert "different losses" in notes and all(loss is None for loss in losses(report))
    # The generator's gradient reaches it only through the discriminator: its norms are its own.
    g0 = report["steps"][0]["layers"]["netG.0"]["grad_norm"]
    d0 = report["steps"][0]["layers"]["netD.0"]["grad_norm"]
    assert g0 > 0 and d0 > 0 and g0 != d0


def test_two_optimizers_over_one_model_measure_each_layer_once(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--steps", "5", RUN / "two_optimizers_one_model.py")
    assert [(layer["name"], layer["status"]) for layer in report["layers"]] == [
        ("embedding", "healthy"), ("hidden", "healthy"), ("out", "healthy"),
    ]  # fmt: skip
    notes = " ".join(report["notes"])
    assert "embedding_opt (SGD) steps 1 layer(s): embedding; dense_opt (Adam) steps 2 layer(s): hidden, out" in notes
    # One backward for both steps: both optimizers stepped on it, so there is one loss curve.
    assert all(loss is not None for loss in losses(report))


def test_an_optimizer_built_anew_each_epoch_is_one_series(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="stages.py",
        body="""
        import torch
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        x = torch.randn(64, 4)
        y = (x[:, 0] > 0).long()
        for epoch in range(50):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1 / (epoch + 1))
            for xb, yb in zip(x.split(16), y.split(16)):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(xb), yb).backward()
                optimizer.step()
        """,
    )
    report = run_json(tmp_path, "--steps", "10", script, code=None)
    assert [layer["name"] for layer in report["layers"]] == ["0", "2"]
    assert len(report["steps"]) == 10
    assert [s["lr"] for s in report["steps"]] == [[0.1]] * 4 + [[0.05]] * 4 + [[0.1 / 3]] * 2
    assert any("built a new SGD over the same parameters 2 time(s)" in note for note in report["notes"])


def test_checkpoint_written_in_finally_is_whole_after_the_stop(tmp_path: Path) -> None:
    ckpt, log = tmp_path / "ckpt.pt", tmp_path / "log.txt"
    result = invoke(
        "--steps", "20", "--json", tmp_path / "run.json", RUN / "checkpoint_finally.py", "--out", ckpt, "--log", log
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert "checkpoint written after 19 completed iterations" in result.output
    saved = torch.load(ckpt, weights_only=True)
    # Stopped inside the 20th optimizer.step(), after its update: the weights are those of 20 steps.
    sys.path.insert(0, str(RUN))
    try:
        from checkpoint_finally import build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(RUN))
        sys.modules.pop("checkpoint_finally", None)
    model, optimizer, batches = build()
    for it in range(20):
        x, y = batches[it % len(batches)]
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    assert saved["done"] == 19
    assert saved["model"].keys() == model.state_dict().keys()
    for name, tensor in model.state_dict().items():
        assert torch.equal(saved["model"][name], tensor), name
    assert len(saved["optimizer"]["state"]) == 6  # momentum buffers of every parameter
    assert [line.split()[0] for line in log.read_text().splitlines()] == [str(i) for i in range(1, 20)]
    assert json.loads((tmp_path / "run.json").read_text())["run"]["steps"] == 20


# ------------------------------------------------------------------ how the script is run


def test_the_script_gets_its_own_argv_name_path_and_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "helper_mod.py").write_text("VALUE = 7\n")
    seen = tmp_path / "seen.json"
    script = write_script(
        folder,
        name="train.py",
        body=f"""
        import json, os, sys
        import torch
        import helper_mod
        json.dump({{"argv": sys.argv, "name": __name__, "path0": sys.path[0], "cwd": os.getcwd(),
                   "helper": helper_mod.VALUE}}, open({str(seen)!r}, "w"))
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(10):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
        """,
    )
    monkeypatch.chdir(tmp_path)
    argv, path, backward, init = list(sys.argv), list(sys.path), torch.autograd.backward, torch.optim.Optimizer.__init__
    # Options after SCRIPT are the script's, gradscope's names and `--` included.
    # (--fail-on never: the verdict on random data is not what this test is about.)
    result = invoke("--fail-on", "never", "--steps", "3", script, "--steps", "9", "--json", "x.json", "--", "-m")
    assert result.exit_code == 0, result.output
    got = json.loads(seen.read_text())
    assert got == {
        "argv": [str(script), "--steps", "9", "--json", "x.json", "--", "-m"],
        "name": "__main__",
        "path0": str(folder),
        "cwd": str(tmp_path),
        "helper": 7,
    }
    assert not (tmp_path / "x.json").exists()
    # Everything put back: argv, sys.path, the helper module, torch's functions and hooks.
    assert sys.argv == argv and sys.path == path and "helper_mod" not in sys.modules
    assert torch.autograd.backward is backward and torch.optim.Optimizer.__init__ is init
    from torch.optim import optimizer as optim

    assert not optim._global_optimizer_pre_hooks and not optim._global_optimizer_post_hooks
    assert not list(folder.glob("__pycache__"))


def test_module_mode_runs_like_python_dash_m(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(RUN)
    report = run_json(tmp_path, "--steps", "5", "-m", "runpkg.train", "--lr", "0.01")
    assert report["run"]["script"] == "-m runpkg.train"
    assert report["run"]["lr"] == [0.01]  # --lr reached the module's argparse
    assert [layer["name"] for layer in report["layers"]] == ["0", "2"]
    assert not any(name == "runpkg" or name.startswith("runpkg.") for name in sys.modules)


def test_no_stop_runs_to_the_end_and_measures_every_kth_step(tmp_path: Path) -> None:
    done = tmp_path / "done"
    args = ("--no-stop", "--every", "4", RUN / "mnist_style.py", "--epochs", "1", "--done-file", done)
    report = run_json(tmp_path, *args)
    assert done.read_text() == "done\n"  # the script ran to its end
    assert [s["step"] for s in report["steps"]] == [0, 4, 8, 12]  # 16 steps of batch 32, every 4th
    assert report["run"]["every"] == 4


def test_the_budget_stops_a_slow_script_at_a_step_boundary(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="slow.py",
        body="""
        import time
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2000):  # 0.1 s a step: minutes, unless stopped
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            time.sleep(0.1)
            opt.step()
        """,
    )
    report = run_json(tmp_path, "--fail-on", "never", "--budget", "1", "--steps", "1000", script)
    assert 1 <= len(report["steps"]) < 100
    assert any("when its --budget of 1 s ran out" in note for note in report["notes"])


def test_a_script_that_swallows_the_stop_takes_no_further_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    script = write_script(
        tmp_path,
        name="stubborn.py",
        body="""
        import json
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        seen = {"steps": 0, "swallowed": 0}
        for _ in range(1000):
            try:
                opt.zero_grad()
                model(torch.randn(4, 3)).pow(2).mean().backward()
                opt.step()
                seen["steps"] += 1
            except BaseException:
                seen["swallowed"] += 1
        json.dump(seen, open("seen.json", "w"))
        """,
    )
    report = run_json(tmp_path, "--fail-on", "never", "--steps", "4", script)
    assert len(report["steps"]) == 4
    # The 4th step updated, then raised the stop after it; the loop goes on to its end, but every
    # later optimizer.step() raises before it updates.
    assert seen_after(tmp_path) == {"steps": 3, "swallowed": 997}


def test_grad_scaler_loss_is_unscaled_and_its_skipped_step_counted(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="amp.py",
        body=f"""
        import json
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
        stepped = []
        for i in range(8):
            opt.zero_grad()
            loss = model(torch.randn(16, 3)).pow(2).mean()
            if i == 2:
                loss = loss * float("inf")  # GradScaler skips this step
            scaler.scale(loss).backward()
            if i != 2:
                stepped.append(loss.item())
            json.dump(stepped, open({str(tmp_path / "losses.json")!r}, "w"))
            scaler.step(opt)
            scaler.update()
        """,
    )
    report = run_json(tmp_path, "--fail-on", "never", "--steps", "5", script)
    assert report["run"]["skipped_steps"] == 1
    assert losses(report) == pytest.approx(json.loads((tmp_path / "losses.json").read_text()), rel=1e-6)


# ------------------------------------------------------------------ the script's own failures


def test_exception_before_the_first_step_is_the_scripts_with_its_traceback(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch

        def load():
            raise FileNotFoundError("no dataset at /data/train.bin")

        model = torch.nn.Linear(3, 1)
        load()
        """,
    )
    result = invoke(script)
    assert result.exit_code == 3, result.output
    out = result.output
    assert "Traceback (most recent call last)" in out and 'train.py", line 8' in out and "line 5, in load" in out
    assert "gradscope/doors" not in out and "runpy" not in out  # gradscope's frames are not the user's
    (line,) = error_lines(out)
    assert "FileNotFoundError" in line and "before its first optimizer step" in line and "(train.py:5)" in line


def test_a_crash_after_some_steps_still_reports_them_and_exits_3(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for i in range(10):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
            if i == 4:
                raise RuntimeError("disk full while logging")
        """,
    )
    out = tmp_path / "run.json"
    result = invoke("--json", out, script)
    assert result.exit_code == 3, result.output
    assert "verdict:" in result.output and "RuntimeError: disk full" in result.output
    (line,) = error_lines(result.output)
    assert "after the steps the report covers" in line
    assert len(json.loads(out.read_text())["steps"]) == 5


def test_a_crashing_script_shows_its_own_traceback_without_gradscopes_frames(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        def load_config():
            raise FileNotFoundError("configurator.py")
        load_config()
        """,
    )
    result = harness.gradscope("run", script, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert 'File "' in result.stderr and "train.py" in result.stderr and "in load_config" in result.stderr
    gradscope_dir = str(ROOT / "gradscope")
    assert gradscope_dir not in result.stderr, result.stderr  # call_user, the run door, runpy: not the user's
    assert "runpy" not in result.stderr


def test_ctrl_c_after_some_steps_keeps_what_was_measured(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for i in range(100):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
            if i == 5:
                raise KeyboardInterrupt  # as the user's Ctrl-C lands in the loop
        """,
    )
    out = tmp_path / "run.json"
    result = invoke("--json", out, script)
    assert result.exit_code == 130, result.output
    assert "verdict:" in result.output and "the report above covers the steps before it" in result.output
    report = json.loads(out.read_text())
    assert len(report["steps"]) == 6
    assert report["notes"][0].startswith("interrupted (Ctrl-C) after 6 measured step(s)")
    assert report["run"]["partial"] is True and "after 6 measured step(s)" in report["run"]["cut"]


def test_a_script_that_updates_by_hand_is_stopped_early_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # word_language_model's default loop: backward(), then p.data.add_(...) by hand, for hours.
    from gradscope.doors.run import stopping

    monkeypatch.setattr(stopping, "BACKWARD_WITHOUT_STEP", 20)
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import pathlib, torch
        model = torch.nn.Linear(3, 1)
        for i in range(1000):
            model.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-0.1)
        pathlib.Path(__file__).with_name("finished").touch()
        """,
    )
    result = invoke(script)
    assert result.exit_code == 3, result.output
    (line,) = error_lines(result.output)
    assert "called backward() 21 time(s) (gradscope stopped it there) but stepped no torch.optim optimizer" in line
    assert not (tmp_path / "finished").exists()
    # With an optimizer made but never stepped, the line says so, and that gradscope stopped it.
    made = write_script(
        tmp_path,
        name="made.py",
        body=script.read_text().replace("for i in", "opt = torch.optim.SGD(model.parameters())\nfor i in"),
    )
    (line,) = error_lines(invoke(made).output)
    assert "created SGD but never called its step() after 21 backward() call(s) (gradscope stopped it there)" in line
    # Asked to run to its end, it does: the line then counts every call.
    result = invoke("--no-stop", script)
    assert result.exit_code == 3
    assert "called backward() 1000 time(s) but stepped" in error_lines(result.output)[0]
    assert (tmp_path / "finished").exists()


def test_sigterm_unwinds_the_script_and_keeps_what_was_measured(tmp_path: Path) -> None:
    # Without gradscope, SIGTERM would end the process with nothing written (exit 143).
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import os, signal, torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        unwound = False
        try:
            for i in range(100):
                opt.zero_grad()
                model(torch.randn(4, 3)).pow(2).mean().backward()
                opt.step()
                if i == 5:
                    os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler's SIGTERM lands in the loop
        finally:
            open(os.path.join(os.path.dirname(__file__), "unwound"), "w").close()
        """,
    )
    out = tmp_path / "run.json"
    result = invoke("--no-stop", "--json", out, script)
    assert result.exit_code == 130, result.output
    (line,) = error_lines(result.output)
    assert line == "gradscope: error: interrupted (SIGTERM); the report above covers the steps before it"
    assert (tmp_path / "unwound").exists()  # the script's finally ran
    report = json.loads(out.read_text())
    assert len(report["steps"]) == 6
    assert report["notes"][0].startswith("interrupted (SIGTERM) after 6 measured step(s)")
    assert report["run"]["partial"] is True
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back


def test_a_sigterm_the_script_swallows_still_marks_the_run_cut_short(tmp_path: Path) -> None:
    # word_language_model catches KeyboardInterrupt ("Exiting from training early") and goes on
    # to its evaluation: the run ends normally, yet it was cut short by the SIGTERM.
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import os, signal, torch
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        try:
            for i in range(100):
                opt.zero_grad()
                model(torch.randn(4, 3)).pow(2).mean().backward()
                opt.step()
                if i == 5:
                    os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            print("Exiting from training early")
        with torch.no_grad():
            model(torch.randn(4, 3))
        """,
    )
    out = tmp_path / "run.json"
    result = invoke("--no-stop", "--json", out, script)
    assert result.exit_code == 130, result.output
    report = json.loads(out.read_text())
    assert len(report["steps"]) == 6
    assert report["run"]["partial"] is True
    assert report["notes"][0].startswith("interrupted (SIGTERM) after 6 measured step(s)")


def test_a_script_that_handles_sigterm_itself_keeps_its_handler(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import os, signal, torch
        torch.manual_seed(0)
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))  # checkpoint-and-exit, as SLURM jobs do
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for i in range(100):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
            if i == 5:
                os.kill(os.getpid(), signal.SIGTERM)
            if stop:
                break
        """,
    )
    report = run_json(tmp_path, "--no-stop", script)
    assert len(report["steps"]) == 6  # its handler, not gradscope's, decided how the run ended
    assert report["run"]["partial"] is False
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the process's handler put back


def test_a_failing_clean_up_after_the_stop_is_the_scripts_failure(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        try:
            for i in range(100):
                opt.zero_grad()
                model(torch.randn(4, 3)).pow(2).mean().backward()
                opt.step()
        finally:
            raise OSError("no space left on device")
        """,
    )
    result = invoke("--steps", "3", script)
    assert result.exit_code == 3, result.output
    assert "verdict:" in result.output
    (line,) = error_lines(result.output)
    assert "OSError: no space left" in line and "in its own clean-up as gradscope stopped it" in line


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            "import torch\nprint(torch.nn.Linear(3, 1)(torch.randn(2, 3)))\n",
            ("without creating a torch.optim optimizer",),
        ),
        (
            "import torch\nm = torch.nn.Linear(3, 1)\n"
            "for _ in range(3):\n    m.zero_grad()\n    m(torch.randn(4, 3)).sum().backward()\n"
            "    for p in m.parameters():\n        p.data.add_(p.grad, alpha=-0.1)\n",
            ("backward() 3 time(s)", "by hand", "p.data.add_"),
        ),
        (
            "import torch\nm = torch.nn.Linear(3, 1)\nopt = torch.optim.AdamW(m.parameters())\n",
            ("created AdamW", "never called its step()"),
        ),
        (
            "import argparse\nargparse.ArgumentParser().add_argument('--data', required=True)\n"
            "p = argparse.ArgumentParser()\np.add_argument('--data', required=True)\np.parse_args()\n",
            ("exited with sys.exit(2)", "before its first optimizer step"),
        ),
    ],
    ids=["no-optimizer", "weights-by-hand", "never-stepped", "argparse-error"],
)
def test_nothing_to_observe_is_one_line_and_exit_3(tmp_path: Path, body: str, words: tuple[str, ...]) -> None:
    result = invoke(write_script(tmp_path, name="train.py", body=body))
    assert result.exit_code == 3, result.output
    (line,) = error_lines(result.output)
    assert "Traceback" not in result.output
    for word in words:
        assert word in line, line


def test_without_a_scalar_backward_the_report_says_the_loss_rules_did_not_run(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch
        model = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(30):
            opt.zero_grad()
            out = model(torch.randn(4, 3))
            out.backward(torch.ones_like(out) / 8)
            opt.step()
        """,
    )
    report = run_json(tmp_path, "--fail-on", "never", "--steps", "5", script)
    assert report["run"]["loss_source"] == "none" and all(loss is None for loss in losses(report))
    assert any("did not run: train.py called backward() on no scalar" in note for note in report["notes"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke().exit_code == 2
    assert invoke(tmp_path / "missing.py").exit_code == 2
    assert invoke("--no-stop", "--steps", "3", RUN / "gan.py").exit_code == 2
    assert invoke("--no-stop", "--budget", "5", RUN / "gan.py").exit_code == 2
    assert invoke("--bogus", RUN / "gan.py").exit_code == 2  # a mistyped option is not taken for SCRIPT
    assert invoke("-m", "no_such_module_here").exit_code == 2


def test_a_rank_other_than_0_without_a_process_group_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # torchrun's RANK, with the script's process group not made before its first step.
    monkeypatch.setenv("RANK", "1")
    script = write_script(
        tmp_path,
        name="train.py",
        body="""
        import torch
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for i in range(5):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
        """,
    )
    result = invoke("--json", tmp_path / "run.json", script)
    assert result.exit_code == 0, result.output
    assert "verdict:" not in result.output
    assert not (tmp_path / "run.json").exists()


def test_a_sigterm_handler_the_process_already_has_is_left_alone(tmp_path: Path) -> None:
    # A launcher (or a notebook) that handles SIGTERM itself keeps doing so while the script runs.
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: seen.append(signum))
    try:
        script = write_script(
            tmp_path,
            name="train.py",
            body="""
            import os, signal, torch
            model = torch.nn.Linear(3, 1)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            for i in range(8):
                opt.zero_grad()
                model(torch.randn(4, 3)).pow(2).mean().backward()
                opt.step()
                if i == 2:
                    os.kill(os.getpid(), signal.SIGTERM)
            """,
        )
        report = run_json(tmp_path, "--no-stop", script)
        assert seen == [signal.SIGTERM]
        assert len(report["steps"]) == 8 and report["run"]["partial"] is False
    finally:
        signal.signal(signal.SIGTERM, previous)
