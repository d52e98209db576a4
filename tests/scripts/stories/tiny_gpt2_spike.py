"""Learning rate too high for a tiny Hugging Face GPT-2: AdamW lr=0.3.

transformers.GPT2LMHeadModel built from a GPT2Config (2 layers, 64 wide, 2 heads, 32 positions,
no dropout; no download), on character-level text (stdlib pydoc_data/topics.py, 65 characters,
ln 65 = 4.17), 8 batches of 8 x 32; dict batches {"input_ids", "labels"} so gradscope calls
model(**batch) and reads output.loss.

The loss spikes 4.8x within two steps and stays above its start for 38 of the 39 later steps:
  4.016 6.660 19.18 16.65 10.55 9.79 9.46 9.64 9.44 8.02 | 9.70 7.81 10.07 7.38 8.13 6.69 7.97
  4.44 5.72 4.84 | 6.03 5.93 8.93 8.07 8.31 6.52 6.35 6.03 7.53 8.91 | 9.56 7.09 7.22 5.68 5.01
  4.75 5.02 3.72 4.73 4.66   (only step 37 is below the start)
  N=10: start 4.016, max 19.18 (step 2), end 8.02
  N=20: start 4.016, max 19.18 (step 2), end 4.84
  N=30: start 4.016, max 19.18 (step 2), end 8.91
  N=40: start 4.016, max 19.18 (step 2), end 4.66 (min 3.72, step 37)
Gradient norm 3.8 at step 0, 12.4 at step 2, 3.2-16.8 afterwards (16.8 at step 28): finite,
never exploding. Median update ratio 15 at step 0, 0.006-0.68 later. At lr=0.03 the same run
falls to 2.46 at 40 steps (at lr=0.003 to 2.07) with no spike.
With one thread the figures after step 3 differ (ends 5.53, above the start at every step).
Measured with torch 2.13 CPU, 2 threads.
"""

import collections
import importlib.util
from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel

BLOCK, BATCH, BATCHES = 32, 8, 8

# Character-level text: the start of the stdlib's pydoc_data/topics.py, its 65 most frequent characters.
_text = Path(importlib.util.find_spec("pydoc_data.topics").origin).read_text(encoding="utf-8")[:200_000]
_chars = sorted(c for c, _ in collections.Counter(_text).most_common(65))
_index = {c: i for i, c in enumerate(_chars)}
_ids = torch.tensor([_index[c] for c in _text if c in _index])

_config = GPT2Config(
    vocab_size=len(_chars),
    n_positions=BLOCK,
    n_embd=64,
    n_layer=2,
    n_head=2,
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    bos_token_id=0,  # GPT-2's default 50256 lies outside this vocabulary
    eos_token_id=0,
)
torch.manual_seed(1)  # the weights do not depend on gradscope's --seed
model = GPT2LMHeadModel(_config)  # built from the config: no download

_gen = torch.Generator().manual_seed(2)
data = []
for _ in range(BATCHES):
    _starts = torch.randint(len(_ids) - BLOCK, (BATCH,), generator=_gen).tolist()
    _x = torch.stack([_ids[s : s + BLOCK] for s in _starts])
    data.append({"input_ids": _x, "labels": _x})  # Hugging Face style: model(**batch).loss


def optimizer(params):
    return torch.optim.AdamW(params, lr=0.3)


def _loss_of(batch):
    return model(**batch).loss


# --- plain-PyTorch replay of gradscope's loop (not used by gradscope) -------------------------------
def _replay(n_steps: int, table: bool) -> dict:
    """Train n_steps from the import-time weights the way gradscope does; return the figures."""
    import math
    import random

    model.load_state_dict(_INITIAL)
    model.train()
    random.seed(0)
    torch.manual_seed(0)
    opt = optimizer(model.parameters()) if "optimizer" in globals() else torch.optim.Adam(model.parameters(), lr=1e-3)
    closure_based = isinstance(opt, torch.optim.LBFGS)
    params = [p for p in model.parameters() if p.requires_grad]
    layers = [(name, [p for p in m.parameters(recurse=False) if p.requires_grad]) for name, m in model.named_modules()]
    layers = [(name, ps) for name, ps in layers if ps]
    losses, norms, ratios, evals = [], [], [], []
    for step in range(n_steps):
        batch = data[step % len(data)]
        before = [torch.cat([p.detach().reshape(-1).double() for p in ps]) for _, ps in layers]
        seen: list[tuple[float, float]] = []

        def closure(batch=batch, seen=seen):
            model.zero_grad(set_to_none=True)
            value = _loss_of(batch)
            value.backward()
            grads = [p.grad.detach().double().norm() for p in params if p.grad is not None]
            seen.append((value.item(), torch.stack(grads).norm().item() if grads else 0.0))
            return value

        if closure_based:
            opt.step(closure)
        else:
            closure()
            opt.step()
        with torch.no_grad():
            per_layer = []
            for (_, ps), old in zip(layers, before, strict=True):
                new = torch.cat([p.detach().reshape(-1).double() for p in ps])
                if old.norm() > 0:
                    per_layer.append(((new - old).norm() / old.norm()).item())
        median = sorted(per_layer)[len(per_layer) // 2] if per_layer else math.nan
        losses.append(seen[0][0])
        norms.append(seen[0][1])
        ratios.append(median)
        evals.append(len(seen))
        if table:
            extra = f"  closure evals {len(seen)}" if closure_based else ""
            print(
                f"step {step:2d}  loss {seen[0][0]:11.5g}  grad norm {seen[0][1]:10.4g}"
                f"  median update ratio {median:9.3g}{extra}"
            )
    model.load_state_dict(_INITIAL)
    return {"loss": losses, "grad": norms, "ratio": ratios, "evals": evals}


def _summary(n_steps: int, r: dict) -> str:
    loss, grad, ratio = r["loss"], r["grad"], r["ratio"]
    top = max(range(n_steps), key=lambda i: loss[i])
    peak = max(range(n_steps), key=lambda i: grad[i])
    return (
        f"N={n_steps:2d}: loss start {loss[0]:.4g}  max {loss[top]:.4g} (step {top})  end {loss[-1]:.4g}"
        f"  min {min(loss):.4g}  | peak grad norm {grad[peak]:.3g} (step {peak})"
        f"  | median update ratio {min(ratio):.2g}..{max(ratio):.2g}"
    )


if __name__ == "__main__":
    import sys
    import time

    _INITIAL = {k: v.detach().clone() for k, v in model.state_dict().items()}
    counts = [int(a) for a in sys.argv[1:]] or [10, 20, 30, 40]
    runs = {}
    for n in counts:
        began, cpu = time.perf_counter(), time.process_time()
        runs[n] = _replay(n, table=n == max(counts))
        runs[n]["seconds"], runs[n]["cpu"] = time.perf_counter() - began, time.process_time() - cpu
    for n in counts:
        print(_summary(n, runs[n]) + f"  ({runs[n]['seconds']:.1f} s, cpu {runs[n]['cpu']:.1f} s)")


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy"]}
