"""Shared synthetic data, tiny builders and a short pre-training loop for the f-series hold-outs.

Not a model script (no EXPECTED): the f-scripts build `model`, `data` (and sometimes pre-train `model`) from it
at import time. Everything is seeded, so every import gives the same model and batches.
"""

import torch

VOCAB, LEN, BATCH = 16, 32, 16


def chain(vocab: int = VOCAB, seed: int = 0, sharp: float = 3.0) -> torch.Tensor:
    """A first-order Markov transition matrix with peaked rows (softmax of sharp * N(0, 1))."""
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(sharp * torch.randn(vocab, vocab, generator=g), dim=1)


def shifted_chain(base: torch.Tensor, rows: int, seed: int, sharp: float = 3.0, mix: float = 1.0) -> torch.Tensor:
    """`base` with its first `rows` rows moved towards fresh peaked rows ((1 - mix) * old + mix * new; mix 1
    replaces them): a related but different task."""
    new = chain(base.shape[0], seed=seed, sharp=sharp)
    out = base.clone()
    out[:rows] = (1 - mix) * base[:rows] + mix * new[:rows]
    return out


def entropy_rate(trans: torch.Tensor) -> float:
    """Entropy (nats / token) of the chain at its stationary distribution: the best reachable loss."""
    evals, evecs = torch.linalg.eig(trans.T.double())
    pi = evecs[:, torch.argmin((evals - 1).abs())].real
    pi = pi / pi.sum()
    h = -(trans.double() * trans.double().clamp_min(1e-30).log()).sum(1)
    return float((pi * h).sum())


def sample(trans: torch.Tensor, n_batches: int, batch: int = BATCH, length: int = LEN, seed: int = 0):
    """`n_batches` LongTensors (batch, length) of token sequences drawn from the chain."""
    g = torch.Generator().manual_seed(seed)
    vocab = trans.shape[0]
    out = []
    for _ in range(n_batches):
        seq = torch.empty(batch, length, dtype=torch.long)
        seq[:, 0] = torch.randint(0, vocab, (batch,), generator=g)
        for t in range(1, length):
            seq[:, t] = torch.multinomial(trans[seq[:, t - 1]], 1, generator=g).squeeze(1)
        out.append(seq)
    return out


def lm_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Token cross-entropy for (batch, length, vocab) logits."""
    import torch.nn.functional as F

    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def pretrain(model, batches, step_loss, steps: int, lr: float = 1e-3, seed: int = 1234, schedule=None, make_opt=None):
    """A short, seeded pre-training run over `batches` in order, cycling; `step_loss(model, batch)` gives the loss.
    The optimizer is AdamW (weight decay 0) or `make_opt(params, lr)`; `schedule(step) -> factor` multiplies lr
    when given. Leaves the model in train mode and all gradients cleared."""
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_opt(params, lr) if make_opt else torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    model.train()
    for i in range(steps):
        if schedule is not None:
            for g in opt.param_groups:
                g["lr"] = lr * schedule(i)
        opt.zero_grad(set_to_none=True)
        step_loss(model, batches[i % len(batches)]).backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    for p in model.parameters():
        p.grad = None
    return model
