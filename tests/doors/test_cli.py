"""The command line: error exits (docs/contract.md, exit codes), the JSON report, seeds, imports.

Errors go through typer's CliRunner on gradscope.cli.app (harness.invoke): its `output`
holds stdout and stderr as a user would see them.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from harness import ROOT, SCRIPTS, assert_error, error_lines, gradscope, invoke, python, write_script

TINY = SCRIPTS / "tiny_mlp.py"
NAN = SCRIPTS / "nan_data.py"
HEAVY = ("torch", "pandas", "matplotlib")


OK_TAIL = "model = nn.Linear(4, 2)\ndata = [(torch.randn(8, 4), torch.randn(8, 2))]\n"
PRELUDE = "import torch\nfrom torch import nn\n"

# id -> (script content, exit code, key words of the one error line)
SCRIPT_ERRORS: dict[str, tuple[str | bytes, int, tuple[str, ...]]] = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 3, ("not a python file",)),
    "prose-not-python": ("This is my model, it learns cats from dogs.\n", 3, ("not valid python", "syntax")),
    "syntax-error": (PRELUDE + "def broken(:\n    pass\n", 3, ("line 3", "syntax")),
    "exception-at-import": (
        PRELUDE + "raise ValueError('no dataset at /data')\n",
        3,
        ("ValueError", "/data"),
    ),
    "sys-exit-at-import": (PRELUDE + "import sys\nsys.exit(4)\n", 3, ("sys.exit", "__main__")),
    "no-model": (PRELUDE + "data = [(torch.randn(8, 4), torch.randn(8, 2))]\n", 3, ("`model`",)),
    "model-not-module": (
        PRELUDE + "model = {'weights': 1}\ndata = [(torch.randn(8, 4), torch.randn(8, 2))]\n",
        3,
        ("`model`", "nn.Module"),
    ),
    "no-data": (PRELUDE + "model = nn.Linear(4, 2)\n", 3, ("`data`",)),
    "empty-data": (PRELUDE + "model = nn.Linear(4, 2)\ndata = []\n", 3, ("`data`", "no batches")),
    "data-raises": (
        PRELUDE
        + "model = nn.Linear(4, 2)\n"
        + "def _gen():\n    yield torch.randn(8, 4), torch.randn(8, 2)\n    raise OSError('disk gone')\n"
        + "data = _gen\n",
        3,
        ("`data`", "disk gone"),
    ),
    "shape-mismatch": (
        PRELUDE + "model = nn.Linear(4, 2)\ndata = [(torch.randn(8, 5), torch.randn(8, 2))]\n",
        3,
        ("shape",),
    ),
    "non-scalar-loss": (
        PRELUDE + OK_TAIL + "def loss(output, target):\n    return (output - target) ** 2\n",
        3,
        ("scalar", "loss"),
    ),
    "no-trainable-parameter": (
        PRELUDE + OK_TAIL + "model.requires_grad_(False)\n",
        3,
        ("trainable", "requires_grad"),
    ),
}


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", list(SCRIPT_ERRORS))
def test_script_errors_exit_3_with_one_line_naming_the_fix(tmp_path: Path, case: str) -> None:
    content, code, keywords = SCRIPT_ERRORS[case]
    script = tmp_path / "model.py"
    if isinstance(content, bytes):
        script.write_bytes(content)
    else:
        script.write_text(content)
    before = _tree(tmp_path)
    result = invoke("diagnose", script, "--steps", 3, "--no-verify", "--device", "cpu")
    assert_error(result, code, keywords)
    assert _tree(tmp_path) == before, "the script folder must be byte-for-byte unchanged"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert_error(invoke("diagnose", tmp_path / "nope.py", "--steps", 3), 2, ("nope.py", "no such file"))


def test_directory_is_a_usage_error(tmp_path: Path) -> None:
    write_script(tmp_path, OK_TAIL, "model.py", PRELUDE)
    before = _tree(tmp_path)
    assert_error(invoke("diagnose", tmp_path, "--steps", 3), 2, ("directory", "model.py"))
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("device", "keywords"),
    [("tpu", ("tpu", "cpu")), ("cuda", ("cuda", "--device cpu")), ("cuda:7", ("cuda",))],
)
def test_unavailable_device_is_a_usage_error(tmp_path: Path, device: str, keywords: tuple[str, ...]) -> None:
    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("CUDA is available here, so --device cuda is not an error")
    script = write_script(tmp_path, OK_TAIL, "model.py", PRELUDE)
    before = script.read_bytes()
    assert_error(invoke("diagnose", script, "--device", device, "--steps", 3), 2, keywords)
    assert script.read_bytes() == before


def test_zero_steps_exits_2_naming_steps(tmp_path: Path) -> None:
    script = write_script(tmp_path, OK_TAIL, "model.py", PRELUDE)
    result = invoke("diagnose", script, "--steps", 0)
    assert result.exit_code == 2, result.output
    assert "--steps" in result.output
    assert "Traceback" not in result.output
    assert script.read_bytes() == (PRELUDE + OK_TAIL).encode()


def test_zero_steps_error_is_one_gradscope_error_line(tmp_path: Path) -> None:
    script = write_script(tmp_path, OK_TAIL, "model.py", PRELUDE)
    result = invoke("diagnose", script, "--steps", 0)
    assert len(error_lines(result.output)) == 1, (
        "BUG cli.py diagnose(): `--steps 0` is rejected by typer's own `min=1` check, which prints a "
        "multi-line 'Usage/Error' box instead of the contract's one `gradscope: error:` line:\n" + result.output
    )


@pytest.fixture(scope="module")
def debug_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    folder = tmp_path_factory.mktemp("debug")
    script = write_script(folder, "raise ValueError('no dataset at /data')\n", "model.py", PRELUDE)
    return gradscope("diagnose", script, "--debug", "--steps", "3", timeout=120)


def test_debug_shows_a_traceback(debug_run: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" in debug_run.stderr
    assert "ValueError: no dataset at /data" in debug_run.stderr, "the user's own exception is in the chain"


def test_debug_keeps_the_exit_code(debug_run: subprocess.CompletedProcess[str]) -> None:
    assert debug_run.returncode == 3, (
        f"BUG cli.py _fail/main: with --debug a script error re-raises and the process exits "
        f"{debug_run.returncode} instead of the contract's 3; main() catches only UsageError"
    )


def test_nan_in_training_is_recorded_not_an_error(tmp_path: Path) -> None:
    out = tmp_path / "nan.json"
    result = invoke("diagnose", NAN, "--steps", 4, "--no-verify", "--device", "cpu", "--json", out)
    assert result.exit_code in (0, 1), result.output
    assert error_lines(result.output) == []
    report = json.loads(out.read_text())
    assert report["verdict"] == "nonfinite"
    bad = [layer["nonfinite_grad"] for step in report["steps"] for layer in step["layers"].values()]
    assert sum(bad) > 0
    assert report["steps"][0]["layers"]["0"]["nonfinite_grad"] == 0, "step 0 has clean data"


# -- the JSON report ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Any]:
    out = tmp_path_factory.mktemp("json") / "out" / "sub" / "run.json"  # folders do not exist yet
    result = invoke("diagnose", TINY, "--steps", 4, "--no-verify", "--device", "cpu", "--seed", 5, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), out, result


def test_json_report_has_every_contract_field(tiny_report: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = tiny_report
    for key in ("schema_version", "verdict", "layers", "findings", "recommendations", "run", "steps"):
        assert key in report, f"missing top-level field {key}"
    assert report["schema_version"] == 1
    assert report["verdict"] in {
        "healthy",
        "vanishing",
        "exploding",
        "dead",
        "nonfinite",
        "unstable",
        "stalled",
    }
    statuses = {"healthy", "vanishing", "exploding", "dead", "frozen", "unused", "not_optimized", "nonfinite"}
    assert [layer["name"] for layer in report["layers"]] == ["0", "2"], "layers in model order"
    assert [layer["kind"] for layer in report["layers"]] == ["Linear", "Linear"]
    assert [layer["params"] for layer in report["layers"]] == [8 * 16 + 16, 16 * 3 + 3]
    assert all(layer["status"] in statuses for layer in report["layers"])
    assert isinstance(report["findings"], list)
    for finding in report["findings"]:
        for key in ("code", "rule", "severity", "layers", "evidence", "message"):
            assert key in finding
        assert re.fullmatch(r"GS\d{3}", finding["code"])
    assert isinstance(report["recommendations"], list)
    for rec in report["recommendations"]:
        assert "action" in rec and "verified" in rec
    run = report["run"]
    for key in (
        "script",
        "steps",
        "seed",
        "device",
        "dtype",
        "optimizer",
        "lr",
        "torch",
        "gradscope",
        "wall_s",
    ):
        assert key in run, f"run.{key} missing"
    assert run["steps"] == 4 and run["seed"] == 5 and run["device"] == "cpu"
    assert run["dtype"] == "float32" and run["optimizer"] == "SGD"
    assert run["lr"] in (0.1, [0.1])
    assert run["torch"] == torch.__version__
    assert isinstance(run["wall_s"], int | float) and run["wall_s"] >= 0
    assert Path(run["script"]).name == "tiny_mlp.py"
    assert len(report["steps"]) == 4
    for step in report["steps"]:
        assert isinstance(step["loss"], float)
        assert isinstance(step["total_grad_norm"], float)
        assert set(step["layers"]) == {"0", "2"}
        for figures in step["layers"].values():
            for key in ("grad_norm", "weight_norm", "update_norm", "update_ratio"):
                assert isinstance(figures[key], float), key
            assert figures["update_ratio"] == pytest.approx(figures["update_norm"] / figures["weight_norm"])


def test_json_figures_are_consistent(tiny_report: tuple[dict[str, Any], Path, Any]) -> None:
    report, _, _ = tiny_report
    for step in report["steps"]:
        layers = step["layers"].values()
        total = sum(f["grad_norm"] ** 2 for f in layers) ** 0.5
        assert step["total_grad_norm"] == pytest.approx(total, rel=1e-6)
        # Plain SGD, lr 0.1: every layer moves by lr * grad.
        for f in layers:
            assert f["update_norm"] == pytest.approx(0.1 * f["grad_norm"], rel=1e-4)


def test_json_report_does_not_change_stdout_report(tiny_report: tuple[dict[str, Any], Path, Any]) -> None:
    _, out, result = tiny_report
    assert "healthy" in result.stdout
    assert not any(p.name.endswith(".tmp") for p in out.parent.iterdir()), "no temp file left beside it"


def _steps_for_seed(tmp_path: Path, seed: int, name: str) -> list[dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    result = invoke("diagnose", TINY, "--steps", 3, "--no-verify", "--device", "cpu", "--seed", seed, "--json", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())["steps"]


def test_same_seed_same_figures_other_seed_other_figures(tmp_path: Path) -> None:
    first = _steps_for_seed(tmp_path, 11, "a")
    again = _steps_for_seed(tmp_path, 11, "b")
    other = _steps_for_seed(tmp_path, 12, "c")
    assert first == again, "the same --seed must give identical figures"
    assert first != other
    assert first[0]["loss"] != other[0]["loss"]


@pytest.mark.slow
def test_real_subprocess_run_of_the_healthy_sample(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    done = gradscope(
        "diagnose",
        "sample_models/healthy_mlp.py",
        "--json",
        out,
        "--no-verify",
        "--steps",
        5,
        "--device",
        "cpu",
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "step " not in done.stdout, "the sample's __main__ training loop must not run"
    report = json.loads(out.read_text())
    assert report["verdict"] == "healthy"
    assert report["run"]["script"] == "sample_models/healthy_mlp.py"
    assert len(report["steps"]) == 5


# -- imports and the rules list ----------------------------------------------------------------


def test_importing_the_cli_does_not_import_heavy_modules() -> None:
    done = python(f"""
        import sys
        import gradscope.cli
        print("HEAVY", sorted(m for m in {HEAVY!r} if m in sys.modules))
    """)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout


@pytest.mark.parametrize("args", [["--help"], ["diagnose", "--help"], ["--version"]])
def test_help_does_not_import_heavy_modules(args: list[str]) -> None:
    done = python(f"""
        import sys
        from gradscope.cli import app
        try:
            app({args!r}, prog_name="gradscope")
        except SystemExit as exc:
            code = exc.code
        print("HEAVY", sorted(m for m in {HEAVY!r} if m in sys.modules), "EXIT", code, file=sys.stderr)
    """)
    assert "HEAVY [] EXIT 0" in done.stderr, done.stderr
    assert "gradscope" in done.stdout


def test_gradscope_console_script_help_imports_no_heavy_module() -> None:
    # The script of the environment running the tests (a venv's bin/ need not be on PATH).
    beside = Path(sys.executable).with_name("gradscope")
    exe = str(beside) if beside.exists() else shutil.which("gradscope")
    assert exe is not None, "the `gradscope` console script should be installed"
    done = subprocess.run(
        [exe, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "diagnose" in done.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "typer" in imported, "premise: the import log was captured"
    assert imported.isdisjoint(HEAVY), sorted(imported & set(HEAVY))


def test_rules_lists_every_code_with_its_name() -> None:
    from gradscope.diagnosis import RULES

    result = invoke("rules")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    codes = [r.code for r in RULES]
    assert "GS101" in codes and len(set(codes)) == len(codes)
    for r in RULES:
        assert any(r.code in line and r.name in line for line in lines), f"{r.code} {r.name} not listed"
    listed = re.findall(r"\bGS\d{3}\b", result.output)
    assert listed == sorted(codes), "each code once, in order"
    assert any("GS101" in line and "vanishing" in line for line in lines)
    assert any("GS102" in line and "exploding" in line for line in lines)


def test_rules_table_prints_on_a_given_console() -> None:
    from rich.console import Console

    from gradscope.cli import print_rules

    out = io.StringIO()
    print_rules(Console(file=out, width=120))
    assert "GS101" in out.getvalue()


@pytest.mark.parametrize("dtype", ["float64", "bfloat16"])
def test_model_keeps_its_dtype_and_float_data_follows_it(tmp_path: Path, dtype: str) -> None:
    script = write_script(
        tmp_path,
        f"model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).to(torch.{dtype})\n"
        + "data = [(torch.randn(8, 4), torch.randn(8, 2)) for _ in range(2)]\n",  # float32 data
        "model.py",
        PRELUDE,
    )
    out = tmp_path / "run.json"
    result = invoke("diagnose", script, "--steps", 3, "--no-verify", "--device", "cpu", "--json", out)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text())
    assert report["run"]["dtype"] == dtype
    for step in report["steps"]:
        assert isinstance(step["loss"], float)
        assert all(isinstance(f["grad_norm"], float) and f["grad_norm"] > 0 for f in step["layers"].values())


def test_script_prints_do_not_reach_stdout(tmp_path: Path) -> None:
    script = write_script(tmp_path, "print('PRINTED-AT-IMPORT')\n" + OK_TAIL, "model.py", PRELUDE)
    result = invoke("diagnose", script, "--steps", 3, "--no-verify", "--device", "cpu")
    assert result.exit_code in (0, 1), result.output
    assert "PRINTED-AT-IMPORT" not in result.stdout, "stdout is gradscope's report only"
    assert "verdict" in result.stdout
