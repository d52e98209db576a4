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
# Seconds for a whole diagnosis, start-up included: what a CI smoke check can spend.
DEFAULT_BUDGET = 90.0
DEFAULT_SEED = 0
# The precisions a diagnose run can take, by Lightning's names (gradscope/doors/precision.py).
PRECISIONS = ("32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true")
# Optimizers whose step() needs a closure: gradscope passes one, and a GradScaler (16-mixed)
# cannot step them.
CLOSURE_OPTIMIZERS = frozenset({"LBFGS"})


@dataclass(frozen=True)
class RunConfig:
    script: Path
    steps: int | None = None  # None: as many as the budget allows, up to DEFAULT_STEPS
    budget: float | None = DEFAULT_BUDGET  # seconds for the whole run; None or 0: no budget
    seed: int = DEFAULT_SEED
    device: str = "auto"
    verify: bool = True
    precision: str | None = None  # --precision; None: the script's `precision`, else as the script gives the model


@dataclass(frozen=True)
class ScriptRun:
    """What `gradscope run` was asked to do."""

    script: str  # a file path, or a module name when `module` is set
    args: tuple[str, ...] = ()
    module: bool = False
    steps: int | None = 20  # None: let the script run to its end
    every: int = 1
    seed: int | None = None
    budget: float | None = None  # seconds from the script's start; stop at the first step boundary after

    @property
    def name(self) -> str:
        return f"-m {self.script}" if self.module else self.script

    @property
    def short(self) -> str:
        return self.script if self.module else Path(self.script).name
