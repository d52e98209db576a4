"""The torch._dynamo stand-in: diagnose skips its import cost, torch.compile still works."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CHECK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gradscope.config import RunConfig
    from gradscope.pipeline import run_diagnosis
    report = run_diagnosis(RunConfig(script=Path(sys.argv[1]), steps=4, device="cpu", verify=False))
    module = sys.modules.get("torch._dynamo")
    print(report.verdict.value, type(module).__name__)
    """
)


def run(script: Path) -> str:
    out = subprocess.run([sys.executable, "-c", CHECK, str(script)], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_plain_diagnosis_never_imports_dynamo(tmp_path: Path) -> None:
    script = tmp_path / "m.py"
    script.write_text(
        "import torch\nfrom torch import nn\nmodel = nn.Linear(4, 2)\n"
        "data = [(torch.randn(8, 4), torch.randn(8, 2))]\n"
        "def optimizer(params):\n    return torch.optim.AdamW(params, lr=1e-3)\n"
    )
    assert run(script) == "healthy DeferredDynamo"


def test_a_compiled_model_gets_the_real_dynamo(tmp_path: Path) -> None:
    script = tmp_path / "m.py"
    script.write_text(
        "import torch\nfrom torch import nn\n"
        "model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "compiled = torch.compile(model, backend='eager')\n"
        "def compute_loss(m, batch):\n    x, y = batch\n    return nn.functional.mse_loss(compiled(x), y)\n"
        "data = [(torch.randn(8, 4), torch.randn(8, 2))]\n"
    )
    verdict, module = run(script).split()
    assert module == "module"  # the real torch._dynamo took over
    assert verdict == "healthy"


def test_watch_never_installs_the_stand_in() -> None:
    code = (
        "import sys, torch, gradscope\n"
        "m = torch.nn.Linear(2, 1); o = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "with gradscope.watch(m, o):\n    m(torch.randn(3, 2)).sum().backward(); o.step()\n"
        "print(type(sys.modules.get('torch._dynamo')).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "module"
