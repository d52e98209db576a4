"""Every rule, one module a rule (`gs301_lr_too_high.py`, ...), registered on import.

Adding a rule is adding a module here whose name starts with its code: it is
found, registered, documented and tested without touching any other file.
"""

from __future__ import annotations

import importlib
import pkgutil

from gradscope.diagnosis.registry import Rule, registered

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("gs"):
        importlib.import_module(f"{__name__}.{_module.name}")

RULES: tuple[Rule, ...] = registered()

__all__ = ["RULES"]
