#!/usr/bin/env bash
# Stand-in for the concierge image's /entrypoint.sh, in its boot order: it starts as root, makes /configs the
# runtime's (`chown -R agent:agent /configs`), then drops to agent and becomes the runtime (as gosu would).
set -euo pipefail
if ((EUID != 0)); then
    echo "entrypoint: must start as root to chown /configs" >&2
    exit 1
fi
chown -R agent:agent /configs
exec setpriv --reuid=agent --regid=agent --init-groups -- /usr/local/bin/standin-runtime
