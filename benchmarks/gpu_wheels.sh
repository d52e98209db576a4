#!/usr/bin/env bash
# Wheels for the lent GPU machine, which has no network: only if benchmarks/gpu_check.sh's
# "environment" row says a package is missing or too old there. By the device notes
# (/work/.library/device/KINDS.md) its python3 is CPython 3.12 on x86-64 and already holds torch,
# typer, rich, pandas, matplotlib, pytest, lightning, transformers and accelerate: normally
# nothing is needed, and nothing should be carried that is there already.
#
# Usage, here, in the repository root:  bash benchmarks/gpu_wheels.sh NAME==VERSION [NAME==VERSION ...]
# It downloads each named wheel, without its dependencies (name each missing one too:
# `unzip -p .whl/NAME-*.whl '*/METADATA' | grep ^Requires-Dist` lists them), for CPython 3.12 on
# manylinux x86-64, into .whl/ (git-ignored). Then the device tool's call carries it:
#   run(carry=[".whl"], timeout_s=560, command="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit; PYTHON=python3 PYTHONUNBUFFERED=1 bash benchmarks/gpu_check.sh")
# Keep one version of each package in .whl/ (two stop the whole install) and the folder under
# 64 MiB with the rest of the working tree. Never put torch there: the machine's torch has CUDA.

set -eu -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ $# -eq 0 ]; then
    echo "usage: bash benchmarks/gpu_wheels.sh NAME==VERSION [NAME==VERSION ...]" >&2
    exit 2
fi
for spec in "$@"; do
    case "$spec" in
        torch==* | torch) echo "gpu_wheels: not torch: the GPU machine's torch has CUDA" >&2; exit 2 ;;
        *==*) ;;
        *) echo "gpu_wheels: name an exact version: $spec (NAME==VERSION)" >&2; exit 2 ;;
    esac
done
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
mkdir -p .whl
platforms=()
for n in 17 24 27 28 31 34 35; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
"$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "$@"
# Two versions of one package stop the whole install there: say so now.
dupes=$(for f in .whl/*.whl; do basename "$f" | cut -d- -f1 | tr 'A-Z-' 'a-z_'; done | sort | uniq -d)
if [ -n "$dupes" ]; then
    echo "gpu_wheels: more than one wheel of: $dupes (remove all but one from .whl/)" >&2
    exit 1
fi
du -sh .whl
