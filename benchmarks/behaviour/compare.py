"""Compare two capture.sh folders: JSON but wall times, terminal text but timings and the
output folder's path, CSV and PNG byte for byte. Prints what differs and a count.

Run: python benchmarks/behaviour/compare.py BEFORE AFTER
"""

from __future__ import annotations

import filecmp
import json
import re
import sys
from pathlib import Path
from typing import Any

TIME = re.compile(r"\b\d+(\.\d+)? ?(s|ms)\b")


def without_wall_times(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: without_wall_times(v) for k, v in x.items() if k != "wall_s"}
    if isinstance(x, list):
        return [without_wall_times(v) for v in x]
    return x


def text(path: Path, folder: Path) -> str:
    return TIME.sub("T", path.read_text()).replace(str(folder), "OUT")


def differs(rel: Path, a: Path, b: Path) -> bool:
    pa, pb = a / rel, b / rel
    if rel.suffix == ".json":
        return without_wall_times(json.loads(pa.read_text())) != without_wall_times(json.loads(pb.read_text()))
    if rel.suffix in (".txt", ".err"):
        return text(pa, a) != text(pb, b)
    return not filecmp.cmp(pa, pb, shallow=False)


def main() -> None:
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    bad = 0
    for rel in files:
        if not (b / rel).exists():
            print("MISSING", rel)
            bad += 1
        elif differs(rel, a, b):
            print("DIFF", rel)
            bad += 1
    for p in sorted(b.rglob("*")):
        if p.is_file() and not (a / p.relative_to(b)).exists():
            print("EXTRA", p.relative_to(b))
            bad += 1
    print(f"{len(files)} files compared, {bad} differ")


if __name__ == "__main__":
    main()
