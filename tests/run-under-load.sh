#!/usr/bin/env bash
# Runs the whole unit suite several times in a row while other processes keep every core busy, and fails if any run
# fails. The suite's waits are on events, never on a count or a time that load could stretch; this is the check.
#
# usage: tests/run-under-load.sh [runs, default 10]
set -euo pipefail

runs=${1:-10}
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$repo"

burners=()
stop_burners() {
  if ((${#burners[@]})); then
    kill "${burners[@]}" 2>/dev/null || true
  fi
}
trap stop_burners EXIT

dotnet build MoleculeGuardian.sln -v quiet >/dev/null
for _ in $(seq "$(nproc)"); do
  # One busy loop per core, at normal priority: the tests compete for the CPU as they would on a loaded CI host.
  bash -c 'while :; do :; done' &
  burners+=($!)
done

failed_runs=0
logs=$(mktemp -d -t guardian-under-load.XXXXXX)
for run in $(seq "$runs"); do
  start=$SECONDS
  log=$logs/run-$run.log
  dotnet test MoleculeGuardian.sln --no-build >"$log" 2>&1 || true
  summary=$(grep -E '^(Passed|Failed)!' "$log" || true)
  echo "run $run/$runs ($((SECONDS - start)) s): ${summary:-no summary}"
  if [[ $summary != Passed!* ]]; then
    failed_runs=$((failed_runs + 1))
    # Which tests failed and why, so a flaky test can be found from this output alone; the whole log stays.
    grep -E -A6 '^  Failed [A-Za-z]' "$log" | sed 's/^/    /' || true
    echo "    whole output: $log"
  else
    rm -f -- "$log"
  fi
done

echo "$((runs - failed_runs)) of $runs runs passed under load"
((failed_runs == 0))
