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
for run in $(seq "$runs"); do
  start=$SECONDS
  if summary=$(dotnet test MoleculeGuardian.sln --no-build 2>&1 | grep -E '^(Passed|Failed)!'); then :; fi
  echo "run $run/$runs ($((SECONDS - start)) s): ${summary:-no summary}"
  [[ $summary == Passed!* ]] || failed_runs=$((failed_runs + 1))
done

echo "$((runs - failed_runs)) of $runs runs passed under load"
((failed_runs == 0))
