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
        events = int(getattr(distribution, "_num_events", 0))
        param = getattr(distribution, "_param", None)  # the logits or probs it was built from
        if events < 2 or not (isinstance(param, torch.Tensor) and param.requires_grad):
            return  # one possible action (no spread to lose), or not what the step learns from
        with torch.no_grad():
            rows = distribution.entropy().detach()
            if rows.numel() == 0:
                return
            share = rows.sum(dtype=torch.float64) / math.log(events)
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
