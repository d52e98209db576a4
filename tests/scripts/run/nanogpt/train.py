"""Training in the shape of nanoGPT's train.py: module-level config globals overridden by
configurator.py (a config file and --key=value arguments), gradient accumulation with the loss
divided by the micro-steps, a GradScaler, gradient clipping, a warm-up + cosine learning rate,
periodic evaluation and checkpoints, and `torch.compile` unless --compile=False.

The text is generated here (a fixed pseudo-random sequence of 65 symbols with structure), so
nothing is downloaded. Run from this folder:  python train.py config/train_tiny_char.py --compile=False
"""

import math
import os
import time
from contextlib import nullcontext

import torch
from model import GPT, GPTConfig

# default config values
out_dir = "out"
eval_interval = 100
log_interval = 10
eval_iters = 10
always_save_checkpoint = True
gradient_accumulation_steps = 4
batch_size = 12
block_size = 64
n_layer = 4
n_head = 4
n_embd = 128
dropout = 0.0
bias = False
learning_rate = 6e-4
max_iters = 1000
weight_decay = 1e-1
beta1 = 0.9
beta2 = 0.95
grad_clip = 1.0
decay_lr = True
warmup_iters = 100
lr_decay_iters = 1000
min_lr = 6e-5
device = "cpu"
dtype = "float32"
compile = True
seed = 1337
config_keys = [k for k, v in globals().items() if not k.startswith("_") and isinstance(v, int | float | bool | str)]
exec(open("configurator.py").read())  # noqa: PTH123, SIM115
config = {k: globals()[k] for k in config_keys}

os.makedirs(out_dir, exist_ok=True)  # noqa: PTH103
torch.manual_seed(seed)
device_type = "cuda" if "cuda" in device else "cpu"
ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type=device_type, dtype=ptdtype)

# A "text" of 65 symbols: each symbol mostly follows from the two before it.
vocab_size = 65
g = torch.Generator().manual_seed(0)
table = torch.randint(0, vocab_size, (vocab_size, vocab_size), generator=g).tolist()
text = [1, 2]
noise = torch.rand(20000, generator=g).tolist()
for i in range(20000):
    text.append(table[text[-2]][text[-1]] if noise[i] > 0.1 else i % vocab_size)
data = {"train": torch.tensor(text[:18000]), "val": torch.tensor(text[18000:])}


def get_batch(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    d = data[split]
    ix = torch.randint(len(d) - block_size, (batch_size,))
    x = torch.stack([d[i : i + block_size] for i in ix])
    y = torch.stack([d[i + 1 : i + 1 + block_size] for i in ix])
    return x.to(device), y.to(device)


model_args = {
    "n_layer": n_layer,
    "n_head": n_head,
    "n_embd": n_embd,
    "block_size": block_size,
    "bias": bias,
    "vocab_size": vocab_size,
    "dropout": dropout,
}
model = GPT(GPTConfig(**model_args))
model.to(device)
scaler = torch.amp.GradScaler(device_type, enabled=(dtype == "float16"))
optimizer = model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2))
if compile:
    print("compiling the model...")
    model = torch.compile(model)


@torch.no_grad()
def estimate_loss() -> dict[str, float]:
    out = {}
    model.eval()
    for split in ["train", "val"]:
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(split)
            with ctx:
                _, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = float(losses.mean())
    model.train()
    return out


def get_lr(it: int) -> float:
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (learning_rate - min_lr)


X, Y = get_batch("train")
t0 = time.time()
iter_num = 0
best_val_loss = 1e9
while True:
    lr = get_lr(iter_num) if decay_lr else learning_rate
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    if iter_num % eval_interval == 0 and iter_num > 0:
        losses = estimate_loss()
        print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
        if losses["val"] < best_val_loss or always_save_checkpoint:
            best_val_loss = losses["val"]
            checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iter_num": iter_num}
            torch.save(checkpoint, os.path.join(out_dir, "ckpt.pt"))  # noqa: PTH118
    for _micro_step in range(gradient_accumulation_steps):
        with ctx:
            logits, loss = model(X, Y)
            loss = loss / gradient_accumulation_steps
        X, Y = get_batch("train")
        scaler.scale(loss).backward()
    if grad_clip != 0.0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    t1 = time.time()
    dt, t0 = t1 - t0, t1
    if iter_num % log_interval == 0:
        print(f"iter {iter_num}: loss {loss.item() * gradient_accumulation_steps:.4f}, time {dt * 1000:.2f}ms")
    iter_num += 1
    if iter_num > max_iters:
        break
