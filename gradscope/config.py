"""Run configuration: what a `gradscope diagnose` run was asked to do.

The thresholds the rules judge by live with each rule, in its own module under
`gradscope/diagnosis/rules/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class FailOn(StrEnum):
    WARNING = "warning"
    ERROR = "error"
    NEVER = "never"


DEFAULT_STEPS = 20
DEFAULT_SEED = 0


@dataclass(frozen=True)
class RunConfig:
    script: Path
    steps: int = DEFAULT_STEPS
    seed: int = DEFAULT_SEED
    device: str = "auto"
    verify: bool = True
