"""The shape of the code (issue 22's Done-when): modules import in one direction, units fit in a
reader's head, the top of the package holds only its entry points, the advice names no rule,
and the tests mirror the package.

All are read from the source with ast, so they hold for every import, function and string,
also those no test happens to run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from harness import ROOT, TESTS

PACKAGE = ROOT / "gradscope"
# The package's __init__ imports its public helpers inside functions, and every submodule
# import runs it first; it is the one module allowed on both ends of an import.
LAZY_ROOT = "gradscope"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 300
# The entry points; any other module at the top of the package may only re-export.
ENTRY_POINTS = {"__init__", "__main__", "cli", "errors", "config"}
RULE_CODE = re.compile(r"GS\d{3}")
# The stages that may name a rule by its code: the rules themselves, and the renderers that print them.
NAMES_RULES = ("diagnosis", "render")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The gradscope modules `name` imports anywhere: at the top, in functions, under TYPE_CHECKING."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from gradscope import records` imports the module records, not the package.
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    return {t for t in targets if t in modules and t not in (name, LAZY_ROOT)}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items() if name != LAZY_ROOT}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            cycle = visit(target)
            if cycle:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_no_import_cycle_among_gradscope_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_graph_sees_imports_inside_functions() -> None:
    graph = import_graph()
    assert "gradscope.doors.diagnose" in graph["gradscope.cli"]  # imported inside `diagnose`
    assert "gradscope.data.records" in graph["gradscope.render.terminal"]


def test_the_bottom_layer_imports_nothing_of_gradscope() -> None:
    graph = import_graph()
    assert graph["gradscope.errors"] == set()
    # The records between the stages import only each other (and the errors): no stage above them.
    for name in ("gradscope.data.records", "gradscope.data.codec", "gradscope.data.summary"):
        assert {t for t in graph[name] if not t.startswith("gradscope.data.")} <= {"gradscope.errors"}, name


def test_the_recorder_builds_no_report() -> None:
    # It records; the advice assembles the Report and the renderers print it, both downstream.
    graph = import_graph()
    for name in (m for m in graph if m.startswith("gradscope.recording.")):
        upstream = {t for t in graph[name] if t.startswith(("gradscope.advice", "gradscope.render"))}
        assert not upstream, f"{name} imports {sorted(upstream)}"


Unit = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _units(kind: type[ast.AST] | tuple[type[ast.AST], ...]) -> Iterator[tuple[str, Path, Unit, int]]:
    """Every function or class of the package, with its length from its def/class line (decorators not counted)."""
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, kind) and isinstance(node, Unit):
                yield name, path, node, (node.end_lineno or node.lineno) - node.lineno + 1


def test_no_function_is_longer_than_a_reader_can_hold() -> None:
    long = [
        f"{name}.{fn.name} ({path.name}:{fn.lineno}): {lines} lines"
        for name, path, fn, lines in _units((ast.FunctionDef, ast.AsyncFunctionDef))
        if lines > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines; split them by what they build:\n" + "\n".join(long)


def test_no_class_is_longer_than_a_reader_can_hold() -> None:
    long = [
        f"{name}.{cls.name} ({path.name}:{cls.lineno}): {lines} lines"
        for name, path, cls, lines in _units(ast.ClassDef)
        if lines > MAX_CLASS_LINES
    ]
    assert not long, f"classes over {MAX_CLASS_LINES} lines; split them by concern:\n" + "\n".join(long)


def test_the_unit_lengths_leave_decorators_out() -> None:
    tree = ast.parse("@decorate\n@twice\ndef f():\n    return 1\n\n\n@dataclass\nclass C:\n    x: int\n")
    lengths = {node.name: (node.end_lineno or 0) - node.lineno + 1 for node in tree.body if isinstance(node, Unit)}
    assert lengths == {"f": 2, "C": 2}


def _only_reexports(tree: ast.Module) -> bool:
    """A docstring, imports and `__all__`, nothing else."""
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if targets and all(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        return False
    return True


def test_the_top_of_the_package_holds_only_the_entry_points() -> None:
    others = [
        path.name
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem not in ENTRY_POINTS and not _only_reexports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    entry = ", ".join(sorted(ENTRY_POINTS))
    assert not others, f"the top of gradscope/ holds {entry} and re-exports only; move {others} to their stage"


def test_a_reexport_module_is_told_from_one_with_code() -> None:
    assert _only_reexports(ast.parse('"""Doc."""\nfrom a import b\n__all__ = ["b"]\n'))
    assert not _only_reexports(ast.parse("from a import b\nX = 1\n"))
    assert not _only_reexports(ast.parse("def f():\n    pass\n"))


def _rule_codes(source: str) -> list[str]:
    """Every string literal of the source (docstrings and f-string parts too) that holds a rule code."""
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_CODE.search(node.value)
    ]


def test_no_rule_code_is_written_outside_the_rules_and_the_renderers() -> None:
    # The advice runs what a rule declares; a literal "GS102" elsewhere is a branch on which rule fired.
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in NAMES_RULES
        for hit in _rule_codes(path.read_text(encoding="utf-8"))
    ]
    assert not found, "rule codes outside gradscope/diagnosis/ and gradscope/render/:\n" + "\n".join(found)


def test_the_rule_code_finder_finds_a_code_in_any_string() -> None:
    source = 'x = {"GS102": 1}\ny = f"{x}GS301"\nz = "GS"  # GS999 in a comment is no string\n'
    assert _rule_codes(source) == ["1: 'GS102'", "2: 'GS301'"]


def test_every_test_folder_mirrors_a_package_folder() -> None:
    # A folder of tests is named after the stage it tests; folders without tests (golden files, scripts) hold data.
    strays = [
        str(folder.relative_to(ROOT))
        for folder in sorted({path.parent for path in TESTS.rglob("test_*.py")} - {TESTS})
        if not (PACKAGE / folder.relative_to(TESTS)).is_dir()
    ]
    assert not strays, f"test folders with no package folder of the same name under gradscope/: {strays}"
