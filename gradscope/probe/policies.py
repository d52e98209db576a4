"""How spread out the policy a script samples from is: the entropy of its categorical distributions.

A policy-gradient script (stable-baselines3, a REINFORCE loop) turns its net's output into a
`torch.distributions.Categorical` to act and to score its actions. Its loss says little about
the policy itself (PPO's falls as the value head fits each rollout while the policy collapses
onto one action); the entropy of those distributions says it directly. Each one's mean entropy
per row is taken as a share of its maximum, ln K over K actions (1: uniform, 0: one action
certain), summed on the device and joined to the coming step's single transfer, so observing
costs no synchronisation. Only categorical policies are judged: a Gaussian's entropy has no
maximum to take a share of.
"""

from __future__ import annotations

import math
from typing import Any

import torch


class Entropies:
    """The entropies of the distributions built since the last step, for the coming one."""

    def __init__(self) -> None:
        # Sum over rows of H / ln K, kept as one running tensor: a rollout of a million actions
        # between two steps holds no more than one.
        self._sum: torch.Tensor | None = None
        self._rows = 0

    def add(self, distribution: Any) -> None:
        """A Categorical was built: its rows' entropies join the coming step's when the gradient
        flows through it (the policy the step is computed from). Those built without one (a
        rollout acting under no_grad, one distribution per environment step) are left out: the
        policy is the same, and they would cost a few kernels each."""
        rows = _entropy_shares(distribution)
        if rows is None:
            return
        share = rows.sum(dtype=torch.float64)
        self._sum = share if self._sum is None else self._sum + share.to(self._sum.device)
        self._rows += rows.numel()

    def take(self, device: torch.device) -> torch.Tensor | None:
        """The mean share over every row since the last step, as a 1-entry float64 tensor on
        `device`; None when no distribution was built."""
        if self._sum is None:
            return None
        mean = (self._sum / self._rows).to(device).reshape(1)
        self.drop()
        return mean

    def drop(self) -> None:
        self._sum = None
        self._rows = 0


def _param(distribution: Any) -> tuple[str, torch.Tensor] | None:
    """The tensor Categorical.__init__ stored, by name: its normalised `logits`, else its `probs`."""
    given = vars(distribution)
    for name in ("logits", "probs"):
        if isinstance(given.get(name), torch.Tensor):
            return name, given[name]
    return None


def learns_from(distribution: Any) -> bool:
    """Whether the gradient flows through the distribution (the policy a step is computed from)."""
    found = _param(distribution)
    return found is not None and found[1].requires_grad


def _entropy_shares(distribution: Any) -> torch.Tensor | None:
    """Each row's entropy over ln K, from the tensor Categorical.__init__ normalised and stored
    (`logits` or `probs`, whichever it was given), or None when the gradient does not flow
    through it, it has one action, or no row. Neither `entropy()` nor the lazy properties are
    touched: a subclass may override them or rebuild itself after `__init__`, and filling
    `probs` in would keep a second tensor (with its graph) for the distribution's life."""
    found = _param(distribution)
    if found is None or not found[1].requires_grad or found[1].dim() == 0:
        return None
    name, param = found
    events = param.shape[-1]
    if events < 2 or param.numel() == 0:
        return None
    with torch.no_grad():
        if name == "logits":
            # Categorical normalises logits to log-probabilities in __init__.
            floor = torch.finfo(param.dtype).min
            p, log_p = param.exp(), param.clamp(min=floor)
        else:
            p = param / param.sum(-1, keepdim=True)
            log_p = torch.log(p).clamp(min=torch.finfo(p.dtype).min)
        return -(p * log_p).sum(-1).reshape(-1) / math.log(events)
