#!/usr/bin/env bash
# The baseline a user would otherwise deploy: inotifywait (Debian inotify-tools) + jq, re-adding the protected
# entry on every event. A fair, competent version:
#   - watches the directory (close_write for in-place writers, moved_to for rename-replacers) and filters on the name;
#   - one jq process per event, which prints nothing when the entry is already there and canonical, so the event
#     caused by its own mv ends without a write (no loop);
#   - writes atomically: a temp file in the same directory, then mv (rename(2)); a file jq cannot parse (a writer
#     mid-write, or not an object) is left alone, the writer's own close_write brings the loop back;
#   - prints "healed" once per write, which the harness counts.
# It does not fsync, keep the owner/mode of the file, quarantine bad files, coalesce a burst of changes into one heal,
# or detect a lost update (the guardian does all of these), so it does less work per heal than the guardian. It runs
# one jq per event, in order, so a burst of events is worked through one by one long after the burst.
#
# usage: inotifywait-jq.sh /path/to/settings.json
set -uo pipefail

settings=${1:?usage: inotifywait-jq.sh /path/to/settings.json}
dir=$(dirname -- "$settings")
name=$(basename -- "$settings")
tmp="$dir/.$name.baseline-$$.tmp"
entry='{"command":"molecule-platform-mcp","env":{"MOLECULE_MCP_MODE":"management"}}'
# shellcheck disable=SC2016 # $e is a jq variable, not a shell one.
program='if .mcpServers["molecule-platform"] == $e then empty
         else .mcpServers = ((.mcpServers // {}) + {"molecule-platform": $e}) end'

heal() {
  if jq --indent 2 --argjson e "$entry" "$program" -- "$settings" >"$tmp" 2>/dev/null && [[ -s $tmp ]]; then
    mv -f -- "$tmp" "$settings" && echo "healed $settings"
  else
    rm -f -- "$tmp"
  fi
}

trap 'rm -f -- "$tmp"' EXIT

heal
inotifywait -m -q -e close_write,moved_to --format '%f' -- "$dir" | while IFS= read -r file; do
  if [[ $file == "$name" ]]; then
    heal
  fi
done
