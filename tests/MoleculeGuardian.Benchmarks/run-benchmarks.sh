#!/usr/bin/env bash
# Reproduces every MoleculeGuardian performance number in one command:
#   1. publishes the Native AOT binary (and fails if the publish prints a single warning),
#   2. runs the BenchmarkDotNet heal benchmarks (short job),
#   3. runs the end-to-end harness: the AOT binary at its shipped defaults beside the inotifywait + jq baseline. It
#      measures how long the protected entry stays out of the file after another writer evicts it (one in-place
#      write, one rename-replace, each also with a reader holding the file as tail -f would; a boot burst of plugin
#      merges under a 2 ms heartbeat), write storms that keep or
#      evict the entry, start, idle CPU and memory, the guardian's own AbsentMs beside the harness's measurement, and
#      the physical floor (inotify delivery, one read, one durable write) of the same directory.
#      It prints the table, the notes, the AbsentMs comparison and the floor (table.md) and writes every raw number
#      to e2e.json.
# Needs: the .NET 10 SDK, clang and zlib1g-dev (Native AOT), inotify-tools and jq (the baseline).
# Takes about 10 minutes on 2 vCPUs (publish and BenchmarkDotNet ~4, end to end ~5.5). Run it on a quiet machine: the absent
# times are a few ms, and other load shows up in them directly.
# Environment: E2E_ARGS adds harness options (e.g. E2E_ARGS="--runs 20 --idle-seconds 5" while developing; the
# reported numbers use the defaults: 200 evicting writes of each kind, and 200 more with a reader, 5 bursts, storms of
# 1,500 writes, 60 s idle),
# BDN_ARGS replaces the BenchmarkDotNet arguments (default: --job short --filter '*').
#
# usage: tests/MoleculeGuardian.Benchmarks/run-benchmarks.sh [output directory, default artifacts/perf]
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$repo/artifacts/perf}
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)

for tool in dotnet clang inotifywait jq; do
  command -v "$tool" >/dev/null || { echo "run-benchmarks.sh: '$tool' is not on PATH" >&2; exit 1; }
done

echo "== machine" | tee "$out/machine.txt"
{
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel: $(uname -r)"
  echo "dotnet: $(dotnet --version)"
  echo "jq: $(jq --version)"
  echo "inotifywait: $(inotifywait --help 2>&1 | head -n1)"
} | tee -a "$out/machine.txt"

echo "== 1/3 Native AOT publish (what ships: molecule-guardian, molecule-guardian-otel, molecule-guardian-supervise)"
rm -rf -- "$out/publish"
: >"$out/publish.log"
for project in MoleculeGuardian MoleculeGuardian.Otel MoleculeGuardian.Supervise; do
  dotnet publish "$repo/src/$project" -c Release -r linux-x64 -o "$out/publish" 2>&1 | tee -a "$out/publish.log"
done
warnings=$(grep -c 'warning' "$out/publish.log" || true)
echo "publish warnings: $warnings; binary: $(stat -c %s "$out/publish/molecule-guardian") bytes, with the exporter: $(stat -c %s "$out/publish/molecule-guardian-otel") bytes, supervisor: $(stat -c %s "$out/publish/molecule-guardian-supervise") bytes" | tee -a "$out/machine.txt"
if [[ $warnings != 0 ]]; then
  echo "run-benchmarks.sh: the AOT publish printed warnings" >&2
  exit 1
fi

echo "== 2/3 BenchmarkDotNet"
dotnet build "$repo/tests/MoleculeGuardian.Benchmarks" -c Release
bench_dll=$repo/tests/MoleculeGuardian.Benchmarks/bin/Release/net10.0/MoleculeGuardian.Benchmarks.dll
read -r -a bdn_args <<<"${BDN_ARGS:---job short --filter *}"
(cd -- "$out" && dotnet "$bench_dll" bdn --results-json "$out/bdn.json" "${bdn_args[@]}")

echo "== 3/3 end to end"
read -r -a e2e_args <<<"${E2E_ARGS:-}"
dotnet "$bench_dll" e2e --binary "$out/publish/molecule-guardian" --bdn-results "$out/bdn.json" \
  --json-out "$out/e2e.json" "${e2e_args[@]}" | tee "$out/table.md"
