#!/usr/bin/env bash
# Stand-in for the concierge runtime, running as agent. At start it prints one line saying what it finds:
#
#   runtime-start uid=<uid> entry=<present|missing> owner=<uid:gid> mode=<octal> rewrite=<ok|failed> prompt=<present|missing> orphan=<pid>
#
# entry: whether settings.json already holds the protected entry; rewrite: whether it could rewrite the file the way
# the plugin merges do (plain truncate-then-write, here of the same bytes); prompt: whether the platform-agent
# entrypoint filled /configs/prompts from the template; orphan: a grandchild it leaves behind (its parent, a subshell,
# exits at once; it exits 0.2 s later and must then be reaped by PID 1, not stay a zombie). Then it prints long lines (3,000 bytes,
# one write each) until SIGTERM, on which it prints runtime-stop and exits with STANDIN_RUNTIME_TERM_EXIT (default 0):
# one every STANDIN_LINE_INTERVAL seconds (default 0.05), or as fast as the pipe takes them while /tmp/standin-flood
# exists (the log test floods only while it makes the guardian log).
set -uo pipefail
settings=/configs/.claude/settings.json

entry=missing
if grep -q '"molecule-platform"' "$settings" 2>/dev/null; then
    entry=present
fi
owner=$(stat -c '%u:%g' "$settings" 2>/dev/null || echo none)
mode=$(stat -c '%a' "$settings" 2>/dev/null || echo none)
rewrite=failed
if content=$(cat "$settings" 2>/dev/null) && printf '%s\n' "$content" 2>/dev/null >"$settings"; then
    rewrite=ok
fi

prompt=missing
if [[ -f /configs/prompts/system.md ]]; then
  prompt=present
fi
orphan=$( (sleep 0.2 >/dev/null 2>&1 & echo $!) )

trap 'echo "runtime-stop"; exit "${STANDIN_RUNTIME_TERM_EXIT:-0}"' TERM
echo "runtime-start uid=$(id -u) entry=$entry owner=$owner mode=$mode rewrite=$rewrite prompt=$prompt orphan=$orphan"

# read -t on a FIFO nobody writes is a sleep without a child process, so SIGTERM is handled within one interval.
block=$(mktemp -u)
mkfifo "$block"
exec 3<>"$block"
rm -f "$block"
line="runtime $(printf '%02992d' 0)"
while :; do
    printf '%s\n' "$line"
    if [[ ! -e /tmp/standin-flood ]]; then
        read -r -t "${STANDIN_LINE_INTERVAL:-0.05}" -u 3 _
    fi
done
