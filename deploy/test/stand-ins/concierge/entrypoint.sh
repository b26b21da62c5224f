#!/usr/bin/env bash
# Stand-in for the concierge image's /entrypoint.sh, in its boot order: it starts as root, makes /configs the
# runtime's (`chown -R agent:agent /configs`), then drops to agent and becomes the runtime (as gosu would).
#
# With STANDIN_HOLD_ROOT=1 it stays in that root phase until SIGTERM: it prints `entrypoint-root-phase uid=0`, and on
# SIGTERM `entrypoint-root-term` and exits 24 (the test that a signal reaches the runtime while it is still root).
set -euo pipefail
if ((EUID != 0)); then
  echo "entrypoint: must start as root to chown /configs" >&2
  exit 1
fi
if [[ ${STANDIN_HOLD_ROOT-} == 1 ]]; then
  trap 'echo "entrypoint-root-term"; exit 24' TERM
  echo "entrypoint-root-phase uid=$(id -u)"
  # read -t on a FIFO nobody writes: a wait without a child process, so SIGTERM is handled within a second.
  block=$(mktemp -u)
  mkfifo "$block"
  exec 3<>"$block"
  rm -f "$block"
  while :; do
    read -r -t 1 -u 3 _ || true
  done
fi
chown -R agent:agent /configs
exec setpriv --reuid=agent --regid=agent --init-groups -- /usr/local/bin/standin-runtime
