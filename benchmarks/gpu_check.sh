#!/usr/bin/env bash
# gradscope's prepared GPU check (issue 25): everything gradscope should show on one CUDA GPU,
# in one run of at most about 8 minutes on one H100, printed as one table.
#
# Without CUDA (this includes a torch that does not import) it prints exactly one line,
#   gpu-check: no CUDA device here (torch X.Y, cuda unavailable); nothing to check
# and exits 0 (tests/test_gpu_check.py holds it to that). `make gpu-check` runs it with the
# venv's python where .venv exists, else python3; it installs nothing.
#
# With CUDA, five sections, each under its own `timeout` so one slow part cannot eat the run;
# a section that fails or times out is a FAIL row in the table, never the end of the run:
#   tests      python -m pytest -q -m gpu tests: tests/test_gpu.py and every test marked gpu,
#              Lightning's precision="16-mixed" fit among them (tests/test_integrations_lightning.py)
#   diagnose   gradscope diagnose on every sample_models/*.py with --device cuda and with
#              --device cpu (--seed 0 --budget 0): verdicts and layer statuses must be equal;
#              per-layer median figures compared at 1e-3 relative, the ones beyond listed
#              (benchmarks/gpu_diagnose_compare.py)
#   reference  watch's figures on CUDA in float32 against float64 on the same GPU, 1e-5 relative:
#              the run's own tensors reduced in float64 (every step), and a float64 copy of the
#              same models and batches (step 1; update norms also allow float32's rounding of
#              the weights) (benchmarks/gpu_watch_reference.py)
#   overhead   benchmarks/overhead.py --device cuda --batch N: watch every step and every=10
#              against plain training, and peak GPU memory with and without watch
#   scale      benchmarks/scale.py --device cuda: GPT-2 124M diagnosed with default settings,
#              wall time and peak GPU memory against plain training
# Targets (pass/FAIL beside each figure): every step <= 1.05x plain on the transformer and the
# CNN, every=10 <= 1.01x, GPT-2 124M diagnosed with defaults in <= 30 s, memory <= 1.3x plain.
#
# Output: the table on stdout; with OUT set, also $OUT/gpu_check.md (the table),
# $OUT/gpu_check.json (the same rows as data) and $OUT/gpu_check.log (every section's output).
# Exit status: 0 when no row says FAIL, 1 when one does (every section runs either way).
#
# On the lent GPU machine (device tool `run`): its python3 already holds a CUDA torch and, by
# /work/.library/device/KINDS.md, every package gradscope and its tests need (typer, rich,
# pandas, matplotlib, pytest, lightning, transformers, accelerate), so nothing is installed and
# nothing is carried; this script puts the checkout on PYTHONPATH itself. The one call:
#   run(command="PYTHON=python3 PYTHONUNBUFFERED=1 bash benchmarks/gpu_check.sh", timeout_s=560)
# then give_back unless rerunning at once. To rerun only some sections (names as above):
#   run(command="GPU_CHECK_SECTIONS='overhead scale' PYTHON=python3 PYTHONUNBUFFERED=1 bash benchmarks/gpu_check.sh", timeout_s=300)
# Only if the first run's "environment" row names a missing or too-old package: here run
# `bash benchmarks/gpu_wheels.sh NAME==VERSION ...` (pure-Python wheels into the git-ignored .whl/),
# then: run(carry=[".whl"], timeout_s=560, command="python3 -m pip install -q --no-index --no-deps
#   --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
#   || exit; PYTHON=python3 PYTHONUNBUFFERED=1 bash benchmarks/gpu_check.sh")   (one line when given)
#
# Knobs: PYTHON (default .venv/bin/python if present, else python3), GPU_CHECK_SECTIONS,
# GPU_CHECK_TIMEOUT_<SECTION> in seconds (defaults below; they add up to 480 s),
# GPU_CHECK_BATCH (overhead.py's rows per batch, default 256).

set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

# First: is there a CUDA device at all? If not, one line and done.
if ! "$PYTHON" -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
    version=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null) || version="not importable"
    echo "gpu-check: no CUDA device here (torch ${version}, cuda unavailable); nothing to check"
    exit 0
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
SECTIONS=${GPU_CHECK_SECTIONS:-tests diagnose reference overhead scale}
BATCH=${GPU_CHECK_BATCH:-256}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
LOG="$WORK/gpu_check.log"
: >"$LOG"
started_all=$SECONDS

# section NAME TIMEOUT COMMAND...: runs COMMAND under `timeout`, its output appended to the log,
# and records "exit-status seconds timeout" in $WORK/NAME.status for the table.
section() {
    local name=$1 limit=$2
    shift 2
    case " $SECTIONS " in *" $name "*) ;; *) return 0 ;; esac
    local begun=$SECONDS rc
    echo "gpu-check: ${name} (at most ${limit} s) ..."
    echo "===== ${name}: $* (timeout ${limit} s)" >>"$LOG"
    timeout -k 10 "$limit" "$@" >>"$LOG" 2>&1
    rc=$?
    echo "$rc $((SECONDS - begun)) $limit" >"$WORK/$name.status"
    echo "===== ${name}: exit ${rc} after $((SECONDS - begun)) s" >>"$LOG"
    echo "gpu-check: ${name} exit ${rc} after $((SECONDS - begun)) s"
}

"$PYTHON" benchmarks/gpu_check_report.py environment --out "$WORK/environment.rows.json" >>"$LOG" 2>&1

section tests "${GPU_CHECK_TIMEOUT_TESTS:-100}" \
    "$PYTHON" -m pytest -q -m gpu tests -p no:cacheprovider --continue-on-collection-errors \
    --junitxml "$WORK/tests.xml"
section diagnose "${GPU_CHECK_TIMEOUT_DIAGNOSE:-110}" \
    "$PYTHON" benchmarks/gpu_diagnose_compare.py --json "$WORK/diagnose.rows.json"
section reference "${GPU_CHECK_TIMEOUT_REFERENCE:-50}" \
    "$PYTHON" benchmarks/gpu_watch_reference.py --json "$WORK/reference.rows.json"
section overhead "${GPU_CHECK_TIMEOUT_OVERHEAD:-110}" \
    "$PYTHON" benchmarks/overhead.py --device cuda --batch "$BATCH" --rounds 30 --steps 10 \
    --frameworks "" --no-run --json "$WORK/overhead.rows.json"
section scale "${GPU_CHECK_TIMEOUT_SCALE:-110}" \
    "$PYTHON" benchmarks/scale.py --device cuda --no-lbfgs --json "$WORK/scale.rows.json"

"$PYTHON" benchmarks/gpu_check_report.py table --work "$WORK" --sections "$SECTIONS" \
    --seconds $((SECONDS - started_all)) --md "$WORK/gpu_check.md" --json "$WORK/gpu_check.json"
rc=$?
if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    cp "$WORK"/gpu_check.md "$WORK"/gpu_check.json "$LOG" "$OUT"/ 2>/dev/null
fi
echo "gpu-check: every section's output: $LOG${OUT:+ (and \$OUT/gpu_check.log)}"
exit $rc
