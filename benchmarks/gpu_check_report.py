"""The table of benchmarks/gpu_check.sh: its environment row and the assembly of every section's rows.

Each section of the check writes its rows, as it goes, to WORK/<section>.rows.json: a JSON object
{"rows": [{"check", "figure", "target", "result"}, ...]} where result is "pass", "FAIL", "info"
or "skip". The shell records "exit-status seconds timeout" in WORK/<section>.status; the tests
section leaves a JUnit XML file (WORK/tests.xml) instead of rows. A section that timed out or
failed keeps the rows it wrote before, and gets a FAIL row saying so.

Run: python benchmarks/gpu_check_report.py environment --out FILE
     python benchmarks/gpu_check_report.py table --work DIR --sections "tests ..." --md FILE --json FILE
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Any

# What gradscope needs (pyproject's dependencies) and what its GPU tests and benchmarks import.
PACKAGES = ("typer", "rich", "pandas", "matplotlib", "pytest", "lightning", "transformers", "accelerate")
ORDER = ("environment", "tests", "diagnose", "reference", "overhead", "scale")


def row(check: str, figure: str, target: str, result: str) -> dict[str, str]:
    return {"check": check, "figure": figure, "target": target, "result": result}


def environment(out: Path) -> None:
    import torch

    rows = [row("python", f"{platform.python_version()} at {sys.executable}", "", "info")]
    cuda = torch.cuda.is_available()
    if cuda:
        props = torch.cuda.get_device_properties(0)
        gpu = f"{props.name}, {props.total_memory / 2**30:.0f} GiB, sm_{props.major}{props.minor}"
        gpu += f", {props.multi_processor_count} SMs, {torch.cuda.device_count()} device(s)"
    else:
        gpu = "no CUDA device"
    rows.append(
        row("torch", f"{torch.__version__} (CUDA {torch.version.cuda}); {gpu}", "CUDA", "pass" if cuda else "FAIL")
    )
    try:
        import gradscope

        rows.append(row("gradscope", f"{gradscope.__version__} from {Path(gradscope.__file__).parent}", "", "info"))
    except Exception as error:  # the check goes on: every section then says what broke
        rows.append(row("gradscope", f"does not import: {type(error).__name__}: {error}", "imports", "FAIL"))
    found, missing = [], []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    figure = ", ".join(found) + (f"; MISSING: {', '.join(missing)}" if missing else "")
    rows.append(row("packages", figure, "all present", "FAIL" if missing else "pass"))
    out.write_text(json.dumps({"rows": rows}))
    for r in rows:
        print(f"{r['check']}: {r['figure']}")


def test_rows(xml: Path) -> list[dict[str, str]]:
    """One row per test from pytest's JUnit XML, then a count."""
    rows = []
    counts = {"pass": 0, "FAIL": 0, "skip": 0}
    for case in ET.parse(xml).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name', '')}"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            result, figure = "FAIL", "failed: " + first_line(failure.get("message") or failure.text or "")
        elif skipped is not None:
            result, figure = "skip", "skipped: " + first_line(skipped.get("message") or "")
        else:
            result, figure = "pass", f"passed in {float(case.get('time') or 0):.1f} s"
        if "16" in name and "mixed" in name:
            name += " (Lightning 16-mixed)"
        counts[result] += 1
        rows.append(row(name, figure, "passes on CUDA", result))
    if not rows:
        rows.append(row("gpu-marked tests", "none collected", "at least one", "FAIL"))
    summary = f"{counts['pass']} passed, {counts['FAIL']} failed or errored, {counts['skip']} skipped"
    # With CUDA here, a run where every test skipped has checked nothing.
    result = "FAIL" if counts["FAIL"] or not counts["pass"] else "pass"
    rows.append(row("all gpu-marked tests", summary, "none fails, some pass", result))
    return rows


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:200].replace("|", "/")


def log_tail(log: Path, section: str, lines: int = 3) -> str:
    """The last lines a section printed, from the combined log."""
    if not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()
    start = next((i for i, t in enumerate(text) if t.startswith(f"===== {section}: ") and "timeout" in t), None)
    if start is None:
        return ""
    block = []
    for line in text[start + 1 :]:
        if line.startswith(f"===== {section}: exit"):
            break
        if line.strip():
            block.append(line.strip())
    return " / ".join(block[-lines:])[:300].replace("|", "/")


def section_rows(work: Path, section: str) -> tuple[list[dict[str, str]], str]:
    """The rows of one section and a one-line account of how it ended."""
    rows: list[dict[str, str]] = []
    if section == "tests":
        xml = work / "tests.xml"
        if xml.exists():
            try:
                rows = test_rows(xml)
            except ET.ParseError as error:
                rows = [row("JUnit XML", f"unreadable: {error}", "", "FAIL")]
    else:
        path = work / f"{section}.rows.json"
        if path.exists():
            try:
                rows = list(json.loads(path.read_text())["rows"])
            except (ValueError, KeyError) as error:
                rows = [row(f"{section} rows", f"unreadable: {error}", "", "FAIL")]
    status = work / f"{section}.status"
    if section == "environment":
        return rows or [row("environment", "not read", "", "FAIL")], ""
    if not status.exists():
        return rows, "not run"
    code, seconds, limit = (int(v) for v in status.read_text().split())
    ended = f"exit {code} after {seconds} s (limit {limit} s)"
    if code in (124, 137):
        figure = f"timed out after {limit} s; rows above are what it finished"
        rows.append(row(f"{section}: whole section", figure, f"<= {limit} s", "FAIL"))
    elif code != 0 and section != "tests":  # pytest's own exit status is 1 when a test fails: its rows say which
        tail = log_tail(work / "gpu_check.log", section)
        rows.append(row(f"{section}: whole section", f"exit {code}: {tail}", "exit 0", "FAIL"))
    elif not rows:
        rows.append(row(f"{section}: whole section", f"exit {code}, no rows written", "rows", "FAIL"))
    return rows, ended


def table(work: Path, sections: list[str], seconds: int, md: Path, out_json: Path) -> int:
    document: dict[str, Any] = {"seconds": seconds, "sections": {}}
    lines = ["| section | check | figure | target | result |", "| --- | --- | --- | --- | --- |"]
    totals = {"pass": 0, "FAIL": 0, "info": 0, "skip": 0}
    for section in [s for s in ORDER if s == "environment" or s in sections]:
        rows, ended = section_rows(work, section)
        document["sections"][section] = {"ended": ended, "rows": rows}
        for r in rows:
            totals[r["result"]] = totals.get(r["result"], 0) + 1
            cells = [section, r["check"], r["figure"], r["target"], r["result"]]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        if ended:
            lines.append(f"| {section} | (section) | {ended} | | |")
    summary = (
        f"gpu-check: {totals['pass']} pass, {totals['FAIL']} FAIL, {totals['skip']} skip, {totals['info']} info"
        f" in {seconds} s"
    )
    document["summary"] = summary
    document["totals"] = totals
    text = "\n".join([*lines, "", summary]) + "\n"
    md.write_text(text)
    out_json.write_text(json.dumps(document, indent=1))
    print(text, end="")
    return 1 if totals["FAIL"] else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    env = sub.add_parser("environment")
    env.add_argument("--out", type=Path, required=True)
    tab = sub.add_parser("table")
    tab.add_argument("--work", type=Path, required=True)
    tab.add_argument("--sections", default=" ".join(ORDER[1:]))
    tab.add_argument("--seconds", type=int, default=0)
    tab.add_argument("--md", type=Path, required=True)
    tab.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "environment":
        environment(args.out)
    else:
        sys.exit(table(args.work, args.sections.split(), args.seconds, args.md, args.json))


if __name__ == "__main__":
    main()
