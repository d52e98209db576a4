"""Keep torch._dynamo (about 1.2 s to import) out of a `gradscope diagnose` process
until something really needs it.

Every `optimizer.step()` in torch 2.x runs `import torch._dynamo;
torch._dynamo.graph_break()`, and the first call of any optimizer method runs
`torch._dynamo.disable(fn)`: both only matter while torch.compile is tracing,
and outside tracing they are a no-op and the function itself. A diagnosis that
compiles nothing would pay 1.2 s of its ~3 s budget for them. So, in the
diagnose process only (never inside a user's process through `watch`), a
stand-in module answers those two names as the no-ops they are, and anything
else asked of it (torch.compile, torch._dynamo.config, ...) imports the real
torch._dynamo at once and hands over to it.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

NAME = "torch._dynamo"


class DeferredDynamo(types.ModuleType):
    """Stand-in for torch._dynamo while nothing compiles."""

    def graph_break(self, msg: str = "") -> None:
        """A graph break outside tracing does nothing (as in torch._dynamo.decorators)."""

    def disable(self, fn: Callable[..., Any] | None = None, *_args: Any, **_kwargs: Any) -> Any:
        """Outside tracing, a dynamo-disabled function is the function itself."""
        if fn is None:
            return lambda f: f
        return fn

    def __getattr__(self, name: str) -> Any:
        return getattr(load_real(), name)


def load_real() -> types.ModuleType:
    import torch

    if isinstance(sys.modules.get(NAME), DeferredDynamo):
        del sys.modules[NAME]
        torch.__dict__.pop("_dynamo", None)
    return importlib.import_module(NAME)


def defer_dynamo() -> None:
    """Install the stand-in unless the real torch._dynamo is already loaded."""
    import torch

    if NAME in sys.modules:
        return
    stand_in = DeferredDynamo(NAME)
    sys.modules[NAME] = stand_in
    torch.__dict__["_dynamo"] = stand_in
