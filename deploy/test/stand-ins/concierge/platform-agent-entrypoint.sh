#!/usr/bin/env bash
# Stand-in for the platform-agent image's ENTRYPOINT, /platform-agent-entrypoint.sh, in its order: as root, fill the
# files of /configs that are absent (config.yaml, mcp_servers.yaml, prompts/) from the image's baked template, never
# overwriting one that is there, then hand over to the concierge entrypoint.
set -euo pipefail
template=/opt/platform-agent/template
for item in config.yaml mcp_servers.yaml prompts; do
  if [[ ! -e /configs/$item ]]; then
    cp -a "$template/$item" "/configs/$item"
  fi
done
exec /entrypoint.sh "$@"
