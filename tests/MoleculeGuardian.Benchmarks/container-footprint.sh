#!/usr/bin/env bash
# The container's guardian memory, as the image runs it: tini, the supervisor and `run` (the runtime itself not
# counted), each process's RSS and its anonymous part, after the startup heal and a second of rest. One column per
# published directory given, starts alternating, medians of RUNS (default 11).
#
# A directory holding molecule-guardian-supervise runs that (one executable per job); an older one runs
# `molecule-guardian supervise` (the supervisor inside the guardian's binary). File-backed pages of one image are
# shared by every container on a host, so the anonymous column is the per-container fleet cost.
#
# usage: RUNS=11 tests/MoleculeGuardian.Benchmarks/container-footprint.sh LABEL=DIR [LABEL=DIR ...]
# Needs: tini (Debian package tini), as root or any user (the supervisor is told to start `run` as itself).
set -euo pipefail

runs=${RUNS:-11}
tini=$(command -v tini-static || command -v tini) || { echo "container-footprint.sh: tini is not on PATH" >&2; exit 1; }
(($# > 0)) || { sed -n '2,10p' "$0" >&2; exit 2; }

# kB of field $2 (VmRSS, RssAnon) in /proc/$1/status
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
child_of() { pgrep -P "$1" | head -n1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure() { # label dir -> appends "label tini_rss tini_anon sup_rss sup_anon run_rss run_anon" to $samples
  local label=$1 dir=$2 work supervisor tpid sup guardian
  work=$(mktemp -d)
  mkdir -p "$work/.claude"
  if [[ -x $dir/molecule-guardian-supervise ]]; then supervisor=("$dir/molecule-guardian-supervise")
  else supervisor=("$dir/molecule-guardian" supervise); fi
  MOLECULE_PLATFORM_AGENT_IMAGE_BAKED=1 "$tini" -s -- "${supervisor[@]}" --Supervisor:RunAs= \
    "--Guardian:SettingsPath=$work/.claude/settings.json" -- sleep 600 >"$work/log" 2>&1 &
  tpid=$!
  for _ in $(seq 1 200); do
    grep -q '"Name":"Started"' "$work/log" 2>/dev/null && break
    sleep 0.05
  done
  sleep 1
  sup=$(child_of "$tpid")
  guardian=""
  for pid in $(pgrep -P "$sup"); do
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q ' run' && guardian=$pid
  done
  [[ -n $guardian ]] || { echo "container-footprint.sh: no run process under $label's supervisor:" >&2; cat "$work/log" >&2; exit 1; }
  echo "$label $(field "$tpid" VmRSS) $(field "$tpid" RssAnon) $(field "$sup" VmRSS) $(field "$sup" RssAnon) $(field "$guardian" VmRSS) $(field "$guardian" RssAnon)" >>"$samples"
  kill -TERM "$tpid"
  wait "$tpid" || true
  rm -rf -- "$work"
}

samples=$(mktemp)
trap 'rm -f -- "$samples"' EXIT
for ((i = 0; i < runs; i++)); do
  for column in "$@"; do
    measure "${column%%=*}" "${column#*=}"
  done
done

mib() { awk '{ printf "%.2f", $1 / 1024 }'; }
printf '| MiB, median of %s | tini RSS / anon | supervisor RSS / anon | run RSS / anon | total RSS | total anon |\n' "$runs"
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
for column in "$@"; do
  label=${column%%=*}
  col() { awk -v l="$label" -v c="$1" '$1 == l { print $c }' "$samples" | median | mib; }
  total() { awk -v l="$label" -v a="$1" -v b="$2" -v c="$3" '$1 == l { print $a + $b + $c }' "$samples" | median | mib; }
  printf '| %s | %s / %s | %s / %s | %s / %s | %s | %s |\n' "$label" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)" \
    "$(total 2 4 6)" "$(total 3 5 7)"
done
