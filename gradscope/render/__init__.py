"""Renderers: every output format takes the one Report and writes its files.

A format is one module of this package, named after it (json.py, csv.py,
plots.py, text.py), that defines RENDERER: the format's name, the suffixes of
the files it writes, and `write(report, path) -> list[Path]`, which returns the
files it wrote, each whole or not at all. The command line asks for a format by
its option (--json, --csv, --plots) and `renderer(name)` imports that module
only, so writing the JSON does not pay for pandas or matplotlib. Adding a
format is adding its module (and its test): `renderers()` finds every one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gradscope.data.records import Report


@dataclass(frozen=True)
class Renderer:
    name: str  # the format, and the name of the module that defines it
    suffixes: tuple[str, ...]  # of the files it writes
    write: Callable[[Report, Path], list[Path]]  # the files written


def renderer(name: str) -> Renderer:
    """The format called `name`, from the module of that name."""
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the format exists but needs something not installed
        raise ValueError(f"no output format {name!r}") from None
    found = getattr(module, "RENDERER", None)
    if not isinstance(found, Renderer):
        raise ValueError(f"no output format {name!r}: {module.__name__} defines no RENDERER")
    return found


def renderers() -> tuple[Renderer, ...]:
    """Every format, by name. Imports every module of the package, pandas and matplotlib included."""
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    found = [getattr(module, "RENDERER", None) for module in modules]
    return tuple(sorted((r for r in found if isinstance(r, Renderer)), key=lambda r: r.name))


def write_outputs(report: Report, paths: Mapping[str, Path | None]) -> list[Path]:
    """Write each format asked for (its name -> where; None: not asked), in the order given."""
    written: list[Path] = []
    for name, path in paths.items():
        if path is not None:
            written.extend(renderer(name).write(report, path))
    return written
