#!/usr/bin/env bash
# The fault and attack tests RUNS times in a row (default 20) while a grading batch runs beside
# them the whole time, as on a loaded machine. Prints each run's result; exit 1 if any failed.
#   scripts/stress.sh [RUNS]
set -u
cd "$(dirname "$0")/.."
runs=${1:-20}
work=$(mktemp -d)
# Beside: the bundled submissions graded again and again, two at a time, in a session of its own.
setsid bash -c "while true; do .venv/bin/autograder grade solutions examples/partial assignments \
  --out '$work/beside' --jobs 2 --regrade >/dev/null 2>&1; done" &
beside=$!
trap 'kill -- -$beside 2>/dev/null; wait $beside 2>/dev/null; rm -rf "$work"' EXIT
failed=0
for run in $(seq 1 "$runs"); do
  log=$work/run-$run.log
  if .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_faults.py tests/test_attacks.py >"$log" 2>&1; then
    echo "run $run: $(tail -n 1 "$log")"
  else
    failed=$((failed + 1))
    echo "run $run: FAILED: $(tail -n 1 "$log")"
    grep -E "^(FAILED|ERROR) " "$log"
  fi
done
echo "$failed of $runs runs failed"
[ "$failed" = 0 ]
