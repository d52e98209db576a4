"""The script loader on every batch form and script convention of docs/contract.md.

Each test writes a tiny script into tmp_path, loads it with gradscope.load.script and
checks what gradscope would train on (model, batches, loss) against the same
computation done by hand.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from harness import write_script
from torch import nn
from torch.nn import functional as F

from gradscope.load import sandbox
from gradscope.load import script as loader
from gradscope.load.script import Problem

HEADER = "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n"


@pytest.fixture(autouse=True)
def _clean_import_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The loader puts the script folder on sys.path and registers a module: undo both."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sandbox.unload()


def write(folder: Path, source: str, name: str = "script.py") -> Path:
    return write_script(folder, source, name, HEADER)


def load(path: Path, steps: int = 3) -> Problem:
    return loader.load(path, steps)


def loss_of(problem: Problem, step: int = 0) -> torch.Tensor:
    return problem.loss_of(problem.model, problem.batches[step])


def val(t: torch.Tensor) -> float:
    assert t.numel() == 1, f"a loss must be a scalar, got shape {tuple(t.shape)}"
    return float(t.detach())


# -- batch forms --------------------------------------------------------------------------


def test_tensor_inputs_with_integer_target_use_cross_entropy(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        model = nn.Linear(4, 3)
        data = [(torch.randn(8, 4), torch.randint(0, 3, (8,))) for _ in range(2)]
    """
    problem = load(write(tmp_path, source))
    x, y = problem.batches[0]
    assert x.shape == (8, 4) and y.dtype == torch.int64
    want = F.cross_entropy(problem.model(x), y)
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)
    assert problem.default_optimizer is True


def test_float_target_uses_mean_squared_error(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        model = nn.Linear(4, 2)
        data = [(torch.randn(8, 4), torch.randn(8, 2))]
    """
    problem = load(write(tmp_path, source))
    x, y = problem.batches[0]
    want = F.mse_loss(problem.model(x), y)
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)
    # An integer target of the same data would be cross-entropy, so this is really MSE.
    assert val(want) != pytest.approx(val(F.l1_loss(problem.model(x), y)), rel=1e-3)


def test_sequence_logits_against_sequence_integer_targets(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        B, T, C = 2, 5, 7
        class Seq(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(C, 6)
                self.head = nn.Linear(6, C)
            def forward(self, x):
                return self.head(self.emb(x))      # [B, T, C]
        model = Seq()
        data = [(torch.randint(0, C, (B, T)), torch.randint(0, C, (B, T)))]
    """
    problem = load(write(tmp_path, source))
    x, y = problem.batches[0]
    logits = problem.model(x)
    assert logits.shape == (2, 5, 7)
    want = F.cross_entropy(logits.reshape(-1, 7), y.reshape(-1))
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)


def test_tuple_inputs_are_spread_as_positional_arguments(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        class Two(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(4, 2)
                self.b = nn.Linear(3, 2)
            def forward(self, left, right):
                return self.a(left) - self.b(right)
        model = Two()
        data = [((torch.randn(8, 4), torch.randn(8, 3)), torch.randn(8, 2))]
    """
    problem = load(write(tmp_path, source))
    (left, right), y = problem.batches[0]
    want = F.mse_loss(problem.model(left, right), y)
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)


def test_dict_inputs_are_spread_as_keyword_arguments(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        class Kw(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(4, 3)
            def forward(self, *, features, scale):
                return self.lin(features) * scale
        model = Kw()
        data = [({"features": torch.randn(8, 4), "scale": torch.tensor(2.0)}, torch.randint(0, 3, (8,)))]
    """
    problem = load(write(tmp_path, source))
    inputs, y = problem.batches[0]
    want = F.cross_entropy(problem.model(**inputs), y)
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)


@pytest.mark.parametrize("carrier", ["attribute", "dict"])
def test_dict_batch_alone_reads_the_loss_the_output_carries(tmp_path: Path, carrier: str) -> None:
    wrap = "Out(loss=loss, logits=logits)" if carrier == "attribute" else '{"loss": loss, "logits": logits}'
    source = f"""
        from dataclasses import dataclass
        torch.manual_seed(0)

        @dataclass
        class Out:
            loss: torch.Tensor
            logits: torch.Tensor

        class HF(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10, 4)
                self.head = nn.Linear(4, 10)
            def forward(self, input_ids, labels):
                logits = self.head(self.emb(input_ids))
                loss = F.cross_entropy(logits.reshape(-1, 10), labels.reshape(-1)) * 3.0
                return {wrap}
        model = HF()
        data = [{{"input_ids": torch.randint(0, 10, (2, 6)), "labels": torch.randint(0, 10, (2, 6))}}]
    """
    problem = load(write(tmp_path, source))
    batch = problem.batches[0]
    assert isinstance(batch, dict)
    logits = problem.model.head(problem.model.emb(batch["input_ids"]))
    want = F.cross_entropy(logits.reshape(-1, 10), batch["labels"].reshape(-1)) * 3.0
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)


def test_a_custom_loss_replaces_the_default(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        model = nn.Linear(4, 2)
        data = [(torch.randn(8, 4), torch.randn(8, 2))]
        def loss(output, target):
            return (output - target).abs().mean() + 7.0
    """
    problem = load(write(tmp_path, source))
    x, y = problem.batches[0]
    want = (problem.model(x) - y).abs().mean() + 7.0
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)
    assert problem.loss_source == "loss"


def test_compute_loss_replaces_forward_and_loss(tmp_path: Path) -> None:
    source = """
        torch.manual_seed(0)
        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(10, 4)
                self.head = nn.Linear(4, 10)
            def forward(self, idx, targets):
                logits = self.head(self.emb(idx))
                return logits, F.cross_entropy(logits.view(-1, 10), targets.view(-1))
        model = GPT()
        data = [(torch.randint(0, 10, (2, 6)), torch.randint(0, 10, (2, 6)))]
        seen = []
        def compute_loss(model, batch):
            seen.append(batch)
            x, y = batch
            _, value = model(x, y)
            return value * 0.5
    """
    problem = load(write(tmp_path, source))
    x, y = problem.batches[0]
    _, full = problem.model(x, y)
    assert val(loss_of(problem)) == pytest.approx(0.5 * val(full), rel=1e-6)
    assert problem.loss_source == "compute_loss"
    script_module = sys.modules[sandbox.MODULE_NAME]
    assert script_module.seen[-1] is problem.batches[0], "compute_loss gets (model, batch) as yielded"


def test_model_and_data_may_be_zero_argument_callables(tmp_path: Path) -> None:
    source = """
        calls = {"model": 0, "data": 0}
        def model():
            calls["model"] += 1
            return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        def data():
            calls["data"] += 1
            return [(torch.full((3, 4), float(i)), torch.zeros(3, 2)) for i in range(5)]
    """
    problem = load(write(tmp_path, source), steps=4)
    assert isinstance(problem.model, nn.Sequential)
    assert len(problem.batches) == 4
    assert [float(x[0, 0]) for x, _ in problem.batches] == [0.0, 1.0, 2.0, 3.0]
    calls = sys.modules[sandbox.MODULE_NAME].calls
    assert calls["model"] == 1


def test_generator_function_data_is_called_again_when_it_runs_out(tmp_path: Path) -> None:
    source = """
        model = nn.Linear(4, 2)
        def data():
            for i in range(2):
                yield torch.full((3, 4), float(i)), torch.zeros(3, 2)
    """
    problem = load(write(tmp_path, source), steps=5)
    assert [float(x[0, 0]) for x, _ in problem.batches] == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_generator_with_fewer_batches_than_steps_is_cycled(tmp_path: Path) -> None:
    source = """
        model = nn.Linear(4, 2)
        data = ((torch.full((3, 4), float(i)), torch.zeros(3, 2)) for i in range(2))
    """
    problem = load(write(tmp_path, source), steps=5)
    assert len(problem.batches) == 5
    assert [float(x[0, 0]) for x, _ in problem.batches] == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert problem.batches[2] is problem.batches[0]


def test_list_with_fewer_batches_than_steps_is_cycled(tmp_path: Path) -> None:
    source = """
        model = nn.Linear(4, 2)
        data = [(torch.full((3, 4), float(i)), torch.zeros(3, 2)) for i in range(3)]
    """
    problem = load(write(tmp_path, source), steps=7)
    assert [float(x[0, 0]) for x, _ in problem.batches] == [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0]


def test_more_batches_than_steps_takes_the_first_ones(tmp_path: Path) -> None:
    source = """
        model = nn.Linear(4, 2)
        data = [(torch.full((3, 4), float(i)), torch.zeros(3, 2)) for i in range(10)]
    """
    problem = load(write(tmp_path, source), steps=3)
    assert [float(x[0, 0]) for x, _ in problem.batches] == [0.0, 1.0, 2.0]


def test_dataloader_is_iterated_again_for_more_steps(tmp_path: Path) -> None:
    source = """
        from torch.utils.data import DataLoader, TensorDataset
        model = nn.Linear(4, 3)
        xs = torch.arange(40, dtype=torch.float32).reshape(10, 4)
        ys = torch.arange(10) % 3
        data = DataLoader(TensorDataset(xs, ys), batch_size=4, shuffle=False)
    """
    problem = load(write(tmp_path, source), steps=5)
    sizes = [len(x) for x, _ in problem.batches]
    assert sizes == [4, 4, 2, 4, 4]
    firsts = [float(x[0, 0]) for x, _ in problem.batches]
    assert firsts == [0.0, 16.0, 32.0, 0.0, 16.0]
    x, y = problem.batches[0]
    want = F.cross_entropy(problem.model(x), y)
    assert val(loss_of(problem)) == pytest.approx(val(want), rel=1e-6)


def test_optimizer_factory_is_used_and_default_is_adam(tmp_path: Path) -> None:
    source = """
        model = nn.Linear(4, 2)
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
        def optimizer(params):
            return torch.optim.SGD(params, lr=0.25)
    """
    given = load(write(tmp_path, source))
    opt = given.make_optimizer(given.model.parameters())
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["lr"] == 0.25
    assert given.default_optimizer is False
    sandbox.unload()
    source = """
        model = nn.Linear(4, 2)
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
    """
    default = load(write(tmp_path, source, name="other.py"))
    opt = default.make_optimizer(default.model.parameters())
    assert isinstance(opt, torch.optim.Adam) and opt.param_groups[0]["lr"] == 1e-3
    assert default.default_optimizer is True


# -- how the script is run ----------------------------------------------------------------


def test_script_folder_is_first_on_sys_path_for_a_helper_beside_it(tmp_path: Path) -> None:
    helper = f"gs_helper_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{helper}.py").write_text(
        "from torch import nn\nWIDTH = 5\ndef make():\n    return nn.Linear(4, WIDTH)\n"
    )
    source = f"""
        import {helper}
        model = {helper}.make()
        data = [(torch.randn(3, 4), torch.randint(0, {helper}.WIDTH, (3,)))]
    """
    problem = load(write(tmp_path, source))
    assert problem.model.out_features == 5
    assert sys.path[0] == str(tmp_path.resolve())
    sys.modules.pop(helper, None)


def test_working_directory_is_not_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    folder = tmp_path / "proj"
    folder.mkdir()
    source = """
        import os
        where = os.getcwd()
        model = nn.Linear(4, 2)
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
    """
    load(write(folder, source))
    assert sys.modules[sandbox.MODULE_NAME].where == str(elsewhere)


def test_main_block_does_not_run_and_module_name_is_not_main(tmp_path: Path) -> None:
    marker = tmp_path / "main_ran"
    source = f"""
        name_seen = __name__
        model = nn.Linear(4, 2)
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
        if __name__ == "__main__":
            open({str(marker)!r}, "w").write("ran")
            raise SystemExit("the __main__ block ran")
    """
    load(write(tmp_path, source))
    assert not marker.exists()
    assert sys.modules[sandbox.MODULE_NAME].name_seen != "__main__"


def test_prints_at_import_do_not_reach_stdout(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    source = """
        import sys
        print("PRINTED-AT-IMPORT")
        model = nn.Linear(4, 2)
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
    """
    load(write(tmp_path, source))
    out, err = capfd.readouterr()
    assert "PRINTED-AT-IMPORT" not in out
    assert "PRINTED-AT-IMPORT" in err, "the script's output is kept, on stderr"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_script_is_unchanged_and_no_bytecode_is_written_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as for a user without PYTHONDONTWRITEBYTECODE
    helper = f"gs_helper_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{helper}.py").write_text("from torch import nn\ndef make():\n    return nn.Linear(4, 2)\n")
    source = f"""
        import {helper}
        model = {helper}.make()
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
    """
    script = write(tmp_path, source)
    before = _tree(tmp_path)
    load(script)
    sys.modules.pop(helper, None)
    assert _tree(tmp_path) == before, "the script folder must be left byte-for-byte as it was"
    assert not (tmp_path / "__pycache__").exists()
    assert sys.dont_write_bytecode is False, "the interpreter's setting is restored"


def test_helper_imported_lazily_by_the_model_factory_writes_no_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    helper = f"gs_lazy_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{helper}.py").write_text("from torch import nn\ndef make():\n    return nn.Linear(4, 2)\n")
    source = f"""
        def model():
            import {helper}
            return {helper}.make()
        data = [(torch.randn(3, 4), torch.randn(3, 2))]
    """
    script = write(tmp_path, source)
    load(script)
    sys.modules.pop(helper, None)
    assert not (tmp_path / "__pycache__").exists(), (
        "BUG loader.py import_script: bytecode writing is switched off only while the script body runs; "
        "a helper imported later by `model()` (or data()/compute_loss) writes __pycache__ beside the script"
    )


def test_second_load_does_not_reuse_a_same_named_helper_from_the_first_script(tmp_path: Path) -> None:
    for tag in ("one", "two"):
        folder = tmp_path / tag
        folder.mkdir()
        (folder / "gs_shared_helpers.py").write_text(f"TAG = {tag!r}\n")
        source = """
            import gs_shared_helpers
            tag = gs_shared_helpers.TAG
            model = nn.Linear(4, 2)
            data = [(torch.randn(3, 4), torch.randn(3, 2))]
        """
        write(folder, source)
    seen = []
    try:
        for tag in ("one", "two"):
            load(tmp_path / tag / "script.py")
            seen.append(sys.modules[sandbox.MODULE_NAME].tag)
            sandbox.unload()
    finally:
        sys.modules.pop("gs_shared_helpers", None)
    assert seen == ["one", "two"], (
        "BUG sandbox.unload: helpers imported by the first script stay in sys.modules, so a second "
        "script in the same process imports the first one's `helpers` instead of its own"
    )
