"""Checking a report against a model script's declared EXPECTED dict.

Shared by the sample-model test and the hold-out evaluation script.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from gradscope.data.records import Report


def expected_of(script: Path) -> dict[str, Any]:
    """The script's EXPECTED literal, read without running the script."""
    tree = ast.parse(script.read_text())
    constants: dict[str, Any] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue
        if isinstance(target, ast.Name):
            constants[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple) and len(value) == len(target.elts):
            for element, item in zip(target.elts, value, strict=True):
                if isinstance(element, ast.Name):
                    constants[element.id] = item
    for node in tree.body:
        target = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == "EXPECTED" for t in target) and node.value is not None:  # type: ignore[attr-defined]
            expr = node.value  # type: ignore[attr-defined]
            try:
                value: dict[str, Any] = ast.literal_eval(expr)
            except ValueError:
                # A comprehension over layer names: evaluate it with only the script's literal
                # constants and range/str in scope, never by running the script.
                code = compile(ast.Expression(expr), str(script), "eval")
                value = eval(code, {"__builtins__": {}, "range": range, "str": str, **constants})
            return value
    raise LookupError(f"{script} declares no EXPECTED")


def mismatches(report: Report, expected: dict[str, Any]) -> list[str]:
    """What differs from the declaration; empty when the report matches."""
    problems = []
    if report.verdict.value != expected["verdict"]:
        problems.append(f"verdict {report.verdict.value} != {expected['verdict']}")
    statuses = {layer.name: s.value for layer, s in zip(report.record.layers, report.statuses, strict=True)}
    declared = expected.get("layers", {})
    for name, status in declared.items():
        if statuses.get(name) != status:
            problems.append(f"layer {name}: {statuses.get(name)} != {status}")
    allowed = set(expected.get("others", ["healthy"]))
    for name, status in statuses.items():
        if name not in declared and status not in allowed:
            problems.append(f"layer {name}: {status} not in {sorted(allowed)}")
    actions = {r.action for r in report.recommendations}
    for action in expected.get("recommend", []):
        if action not in actions:
            problems.append(f"missing recommendation {action} (got {sorted(actions)})")
    return problems
