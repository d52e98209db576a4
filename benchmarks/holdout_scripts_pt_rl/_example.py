"""Run one of pytorch/examples' reinforcement-learning scripts unmodified, as `python SCRIPT ARGS` would.

The script is extracted from the read-only mirror of github.com/pytorch/examples (benchmarks/external.py)
and run with runpy as `__main__`, its own argv given, its folder first on sys.path. Nothing is copied
into this repository; the wrappers beside this file only choose the script and its --seed.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from external import checkout


def run_example(name: str, *args: str) -> None:
    path = checkout("pytorch/examples", f"reinforcement_learning/{name}") / "reinforcement_learning" / name
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.parent))
    runpy.run_path(str(path), run_name="__main__")
