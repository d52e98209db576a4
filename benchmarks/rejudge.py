"""Judge saved runs again with the rules as they are now, without running any model.

`benchmarks/evaluate.py --keep DIR` keeps every JSON report it made; this script rebuilds each
run's record from its report and hands it to the diagnosis (the rules only: no replay, so a
finding that a replay would confirm or withdraw is shown as the rules state it). A rule change
can then be scored over every hold-out in seconds before the slow evaluation confirms it.

Prints one row per report whose findings before replay differ from the saved report's, or whose
declared verdict is not the rules' verdict; then the counts.

Run: python benchmarks/rejudge.py /tmp/eval/base [--all]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from expectations import expected_of  # noqa: E402

from gradscope.diagnosis import diagnose  # noqa: E402
from gradscope.render.json import load as load_report  # noqa: E402

FOLDERS = ("sample_models", "tests/scripts/stories")


def script_of(kept: Path) -> Path:
    """The model script a kept report (`<folder>--<stem>--<steps>.json`) was made from."""
    folder, stem, _ = kept.stem.split("--")
    for parent in (ROOT / "benchmarks" / folder, *(ROOT / f for f in FOLDERS)):
        if parent.name == folder and (parent / f"{stem}.py").exists():
            return parent / f"{stem}.py"
    raise LookupError(f"no script for {kept.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kept", type=Path)
    parser.add_argument("--all", action="store_true", help="print every report, not only the differing ones")
    args = parser.parse_args()
    wrong = false_alarms = total = 0
    for path in sorted(args.kept.glob("*.json")):
        report = load_report(path)
        declared = expected_of(script_of(path))["verdict"]
        now = diagnose(report.record)
        standing = sorted(f.code for f in now.findings if f.withdrawn is None)
        saved = sorted(f.code for f in report.findings if f.withdrawn is None)
        total += 1
        wrong += now.verdict.value != declared
        false_alarms += declared == "healthy" and now.verdict.value != "healthy"
        if args.all or now.verdict.value != declared or standing != saved:
            print(f"{path.stem:70} declared {declared:10} rules {now.verdict.value:10} {standing} saved {saved}")
    print(f"\n{total - wrong}/{total} reports as declared by the rules alone; {false_alarms} healthy given a problem")


if __name__ == "__main__":
    main()
