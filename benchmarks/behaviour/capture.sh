#!/usr/bin/env bash
# Outputs of one gradscope checkout, to compare two versions (a refactor must not change them):
#   git worktree add /tmp/before <rev>; bash benchmarks/behaviour/capture.sh /tmp/before /tmp/out-before
#   bash benchmarks/behaviour/capture.sh "$PWD" /tmp/out-after
#   python benchmarks/behaviour/compare.py /tmp/out-before /tmp/out-after
# Every sample model diagnosed (--seed 0 --budget 0, JSON, CSV, plots and terminal text), every
# script in tests/scripts/run under `gradscope run`, and five sample models under gradscope.watch.
set -u
ROOT=$(cd "$1" && pwd); mkdir -p "$2"; OUT=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-$HERE/../../.venv/bin/python}
export PYTHONPATH=$ROOT NO_COLOR=1 COLUMNS=120 OMP_NUM_THREADS=1 PYTHONHASHSEED=0
cd $ROOT
for f in sample_models/*.py; do
  n=$(basename $f .py)
  $PY -m gradscope diagnose $f --seed 0 --budget 0 --json $OUT/$n.json --csv $OUT/$n.csv --plots $OUT/${n}_plots > $OUT/$n.txt 2> $OUT/$n.err
  echo "$n rc=$?" >> $OUT/rc.txt
done
for f in tests/scripts/run/*.py tests/scripts/run/nanogpt/train.py; do
  [ -f "$f" ] || continue
  n=run_$(basename $(dirname $f))_$(basename $f .py)
  $PY -m gradscope run --seed 0 --json $OUT/$n.json $f > $OUT/$n.txt 2> $OUT/$n.err
  echo "$n rc=$?" >> $OUT/rc.txt
done
$PY $HERE/watch_capture.py $OUT >> $OUT/rc.txt 2>&1
