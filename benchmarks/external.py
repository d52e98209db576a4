"""Helpers for benchmark model scripts.

1. Real public model code, imported at run time from the fetched read-only git
   mirrors under /work/.mirror/<owner>+<name>/repo (no work tree):

       from external import checkout, load_module
       root = checkout("karpathy/nanoGPT", "model.py")
       nanogpt = load_module("karpathy/nanoGPT", "model.py")   # unique module name
       GPT, GPTConfig = nanogpt.GPT, nanogpt.GPTConfig

   Files are extracted once with ``git archive <rev> <paths> | tar -x`` into a
   cache outside the repository (``$GRADSCOPE_HOLDOUT_CACHE`` or
   ``~/.cache/gradscope-holdouts/<owner>+<name>/<commit[:12]>``).  Nothing is copied
   into this repository.

2. ``plain_loop``: the reference training loop the hold-out scripts run in their
   ``if __name__ == "__main__":`` block.  It is plain PyTorch, written
   independently of gradscope, and follows the model-script contract: step i
   uses batch data[i % len(data)], zero_grad, loss, backward, optimizer.step()
   (closure optimizers get step(closure)); torch.manual_seed(0) right before
   building the optimizer.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

MIRRORS = Path(os.environ.get("GRADSCOPE_MIRRORS", "/work/.mirror"))
CACHE = Path(os.environ.get("GRADSCOPE_HOLDOUT_CACHE", Path.home() / ".cache" / "gradscope-holdouts"))


def _gitdir(repo: str) -> Path:
    owner, name = repo.split("/")
    gitdir = MIRRORS / f"{owner}+{name}" / "repo"
    if not gitdir.exists():
        raise FileNotFoundError(f"no mirror of {repo} at {gitdir}")
    return gitdir


def _resolve(repo: str, rev: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(_gitdir(repo)), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def checkout(repo: str, *paths: str, rev: str = "HEAD") -> Path:
    """Extract ``paths`` (files or folders) of ``repo`` at ``rev`` once; return the directory."""
    commit = _resolve(repo, rev)
    owner, name = repo.split("/")
    dest = CACHE / f"{owner}+{name}" / commit[:12]
    missing = [p for p in paths if not (dest / p).exists()]
    if missing or not dest.exists():
        dest.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest.parent))
        try:
            archive = subprocess.run(
                ["git", "--git-dir", str(_gitdir(repo)), "archive", "--format=tar", commit, *missing],
                check=True, capture_output=True,
            )  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
            # move file by file (os.replace is atomic), so concurrent readers never see half a file
            for src in sorted(tmp.rglob("*")):
                if src.is_file():
                    target = dest / src.relative_to(tmp)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    src.replace(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def load_module(repo: str, path: str, rev: str = "HEAD") -> ModuleType:
    """Import ``path`` (a .py file) of ``repo`` under a unique module name (two model.py never clash)."""
    root = checkout(repo, path, rev=rev)
    unique = "ext_" + "".join(c if c.isalnum() else "_" for c in f"{repo}_{path}")
    if unique in sys.modules:
        return sys.modules[unique]
    spec = importlib.util.spec_from_file_location(unique, root / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[unique]
        raise
    return module


# ---------------------------------------------------------------------------------------------
# plain reference loop
# ---------------------------------------------------------------------------------------------


def _owners(model: Any) -> list[tuple[str, list[Any]]]:
    """(named_modules path, trainable params owned directly) for every module that owns params."""
    out = []
    for name, mod in model.named_modules():
        params = [p for p in mod.parameters(recurse=False) if p.requires_grad]
        if params:
            out.append((name or "(root)", params))
    return out


def _batches(data: Any) -> list[Any]:
    data = data() if callable(data) and not isinstance(data, (list, tuple)) else data
    return list(data)


def _forward_loss(mod: ModuleType, model: Any, batch: Any) -> Any:
    import torch
    import torch.nn.functional as F

    if hasattr(mod, "compute_loss"):
        return mod.compute_loss(model, batch)
    if isinstance(batch, dict):
        return model(**batch).loss
    inputs, target = batch
    if isinstance(inputs, dict):
        out = model(**inputs)
    elif isinstance(inputs, (tuple, list)):
        out = model(*inputs)
    else:
        out = model(inputs)
    if hasattr(mod, "loss"):
        return mod.loss(out, target)
    if getattr(out, "loss", None) is not None:
        return out.loss
    if isinstance(out, dict) and "loss" in out:
        return out["loss"]
    if not torch.is_floating_point(target):
        return F.cross_entropy(out, target)
    return F.mse_loss(out, target)


def _closure(mod, model, opt, batch, first, owners, params, dead_layers, zero_rows):  # type: ignore[no-untyped-def]
    """zero_grad, loss, backward; on the first call of a step record loss, grad norms, zero-grad rows."""
    import torch

    def closure():  # type: ignore[no-untyped-def]
        opt.zero_grad()
        loss = _forward_loss(mod, model, batch)
        loss.backward()
        if not first:
            first["loss"] = float(loss.detach())
            g = {}
            for n, ps in owners:
                flat = [p.grad.detach().flatten().double() for p in ps if p.grad is not None]
                g[n] = float(torch.cat(flat).norm()) if flat else float("nan")
            first["grad"] = g
            uniq = [p.grad.detach().double() for p in params if p.grad is not None]  # shared weights once
            first["total"] = float(torch.stack([u.norm() for u in uniq]).norm()) if uniq else float("nan")
            for n in dead_layers:
                w = dict(model.named_modules())[n].weight
                rows = w.grad.detach().reshape(w.shape[0], -1).abs().sum(1) == 0
                zero_rows[n] = rows if n not in zero_rows else zero_rows[n] & rows
        return loss

    return closure


def plain_loop(
    mod: ModuleType, steps: int = 40, marks: tuple[int, ...] = (10, 20, 30, 40), dead_layers: tuple[str, ...] = ()
) -> dict:
    """Train ``mod``'s model for ``steps`` steps; print loss / grad-norm / update-ratio summaries at ``marks``.

    Returns per-step records.  ``dead_layers`` names layers (Linear/Conv) whose output units are
    checked for "no gradient on any step" (rows of the weight grad that are exactly zero)."""
    import torch

    model = mod.model
    if not isinstance(model, torch.nn.Module) and callable(model):
        model = model()
    model.train()
    batches = _batches(mod.data)
    torch.manual_seed(0)
    make_opt = getattr(mod, "optimizer", None)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_opt(params) if make_opt else torch.optim.Adam(params, lr=1e-3)
    owners = _owners(model)
    closure_opt = isinstance(opt, torch.optim.LBFGS)
    recs = []
    zero_rows: dict[str, Any] = {}
    for i in range(steps):
        batch = batches[i % len(batches)]
        before = {n: torch.cat([p.detach().flatten().double() for p in ps]).clone() for n, ps in owners}
        first: dict[str, Any] = {}
        closure = _closure(mod, model, opt, batch, first, owners, params, dead_layers, zero_rows)
        if closure_opt:
            opt.step(closure)
        else:
            closure()
            opt.step()
        ratios = {}
        for n, ps in owners:
            after = torch.cat([p.detach().flatten().double() for p in ps])
            base = float(before[n].norm())
            # a zero-initialised parameter (e.g. a bias) has no meaningful ratio on its first step
            ratios[n] = float((after - before[n]).norm()) / base if base > 0 else float("nan")
        recs.append({"loss": first["loss"], "grad": first["grad"], "total": first["total"], "ratio": ratios})

    def fmt(x: float) -> str:
        return f"{x:.3g}"

    def span(vals: list[float]) -> str:
        """min..max over the finite values, and how many were not finite."""
        fin = [v for v in vals if math.isfinite(v)]
        text = f"{fmt(min(fin))}..{fmt(max(fin))}" if fin else "none finite"
        bad = len(vals) - len(fin)
        return text + (f" ({bad} non-finite)" if bad else "")

    n_params = sum(p.numel() for p in params)
    print(
        f"{mod.__name__}: {type(opt).__name__}, {len(owners)} param-owning modules, {n_params:,} params, "
        f"{len(batches)} batches"
    )
    for m in marks:
        r = recs[:m]
        losses = [x["loss"] for x in r]
        tot = [x["total"] for x in r]
        fin = [[v for v in x["ratio"].values() if math.isfinite(v)] for x in r]
        med = [sorted(f)[len(f) // 2] for f in fin if f]
        allr = [v for f in fin for v in f]
        finite_losses = [k for k in range(m) if math.isfinite(losses[k])]
        if finite_losses:
            imax = max(finite_losses, key=lambda k: losses[k])
            lmax = f"max {fmt(losses[imax])} (step {imax}) min {fmt(min(losses[k] for k in finite_losses))}"
        else:
            lmax = "max/min: no finite loss"
        nonfinite = m - len(finite_losses)
        print(
            f"  {m:2d} steps: loss start {fmt(losses[0])} {lmax} end {fmt(losses[-1])}"
            f"{f' ({nonfinite} non-finite losses)' if nonfinite else ''} | grad-norm {span(tot)} "
            f"| median-layer update ratio {span(med)} (all layers {span(allr)})"
        )  # fmt: skip
    # per-layer medians over all steps
    print("  per layer (median over steps): grad norm | update ratio ||dW||/||W||")
    for n, _ in owners:
        gs = sorted(x["grad"][n] for x in recs if math.isfinite(x["grad"][n])) or [float("nan")]
        rs = sorted(x["ratio"][n] for x in recs if math.isfinite(x["ratio"][n])) or [float("nan")]
        print(f"    {n:40s} {fmt(gs[len(gs) // 2])} | {fmt(rs[len(rs) // 2])}")
    for n, rows in zero_rows.items():
        print(f"  {n}: {int(rows.sum())}/{rows.numel()} output units got zero gradient on every step")
    print("  loss per step:", " ".join(fmt(x["loss"]) for x in recs))
    print("  grad-norm per step:", " ".join(fmt(x["total"]) for x in recs))
    return {"records": recs, "zero_rows": zero_rows}
