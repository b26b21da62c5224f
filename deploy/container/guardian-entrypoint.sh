#!/usr/bin/env bash
# guardian-entrypoint: runs MoleculeGuardian beside the concierge runtime in one container.
#
# Usage: guardian-entrypoint RUNTIME_COMMAND [ARGS...]
#
#  1. `molecule-guardian heal` once, before the runtime starts, as the wrapper's own user (root in the image):
#     /configs is root-owned until the concierge entrypoint chowns it, and a heal as agent would fail with EACCES.
#     The guardian keeps the owner and mode of a file it rewrites and gives a file it creates the owner of its
#     directory, so after the entrypoint's `chown -R agent:agent /configs` everything is agent's again. A failure is
#     logged and the runtime starts anyway.
#  2. `molecule-guardian run` in the background, restarted with back-off whenever it exits - except after exit 78
#     (invalid configuration), which no restart can fix: that is logged and the runtime keeps running unguarded.
#  3. RUNTIME_COMMAND as a child.
#  4. SIGTERM/SIGINT are forwarded to the runtime and the guardian; once both are gone the wrapper exits with the
#     runtime's status. When the runtime exits on its own, the guardian is stopped (SIGTERM, then SIGKILL after
#     GUARDIAN_STOP_TIMEOUT_SECONDS) and the wrapper exits with the runtime's status.
#
# Environment (all optional; whole seconds):
#   GUARDIAN_BIN                    guardian binary (default /opt/molecule-guardian/molecule-guardian); it runs with
#                                   its own directory as working directory (appsettings.json sits beside it)
#   GUARDIAN_RESTART_MIN_SECONDS    first restart delay (default 1); doubles after each quick exit...
#   GUARDIAN_RESTART_MAX_SECONDS    ...up to this cap (default 30)
#   GUARDIAN_RESTART_RESET_SECONDS  a guardian that ran this long restarts after the minimum delay again (default 60)
#   GUARDIAN_HEAL_TIMEOUT_SECONDS   the startup heal is killed after this long (default 60)
#   GUARDIAN_STOP_TIMEOUT_SECONDS   grace between SIGTERM and SIGKILL for the guardian (default 10)
#   GUARDIAN_USER                   when the wrapper runs as root, `run` drops to this user with setpriv (default
#                                   agent, uid 1000; empty keeps root). The concierge entrypoint needs root to chown
#                                   /configs; the long-running guardian does not.
#
# The guardian never inherits NOTIFY_SOCKET/WATCHDOG_*: if a service manager watches this container, the runtime's
# readiness is what it waits for, not the guardian's.
#
# bash rather than POSIX sh: `wait -n` lets the wrapper sleep until *any* child exits, so it supervises two processes
# without polling, and [[ ]] / $SECONDS / ${!name} keep it short. python:3.11-slim ships bash.
#
# Log lines go to stderr, prefixed "guardian-entrypoint:"; the guardian and the runtime write to the inherited
# stdout/stderr themselves.

set -uo pipefail

readonly EX_USAGE=2
readonly EX_CONFIG=78
# Upper bound on how long a child's exit can go unnoticed: bash may drop the `wait -n` notification of a child killed
# by a signal while the script was busy elsewhere, so every wake-up re-checks all children and a tick forces one.
readonly TICK_SECONDS=5

log() {
    printf 'guardian-entrypoint: %s\n' "$*" >&2
}

# setting NAME DEFAULT MINIMUM: the value of environment variable NAME as a whole number, or DEFAULT when it is unset
# or invalid (logged). A typo in a tuning knob must not keep the runtime from starting.
setting() {
    local name=$1 default=$2 minimum=$3
    local value=${!name-}
    if [[ -z $value ]]; then
        printf '%s' "$default"
    elif [[ $value =~ ^[0-9]{1,9}$ ]] && ((10#$value >= minimum)); then
        printf '%s' "$((10#$value))"
    else
        log "ignoring $name=$value (not a whole number >= $minimum); using $default"
        printf '%s' "$default"
    fi
}

if (($# == 0)); then
    log "usage: guardian-entrypoint RUNTIME_COMMAND [ARGS...]"
    exit "$EX_USAGE"
fi

guardian_bin=${GUARDIAN_BIN:-/opt/molecule-guardian/molecule-guardian}
[[ $guardian_bin == /* ]] || guardian_bin=$PWD/$guardian_bin
guardian_dir=${guardian_bin%/*}
guardian_dir=${guardian_dir:-/}

heal_as=()
run_as=()
guardian_user=${GUARDIAN_USER-agent}
if ((EUID == 0)) && [[ -n $guardian_user ]]; then
    if command -v setpriv >/dev/null && id -u -- "$guardian_user" >/dev/null 2>&1; then
        run_as=(setpriv "--reuid=$guardian_user" "--regid=$guardian_user" --init-groups --)
    else
        log "cannot drop the guardian to user $guardian_user (no setpriv or no such user); it runs as root"
    fi
fi

restart_min=$(setting GUARDIAN_RESTART_MIN_SECONDS 1 1)
restart_max=$(setting GUARDIAN_RESTART_MAX_SECONDS 30 1)
restart_reset=$(setting GUARDIAN_RESTART_RESET_SECONDS 60 1)
heal_timeout=$(setting GUARDIAN_HEAL_TIMEOUT_SECONDS 60 1)
stop_timeout=$(setting GUARDIAN_STOP_TIMEOUT_SECONDS 10 1)
if ((restart_max < restart_min)); then
    log "GUARDIAN_RESTART_MAX_SECONDS ($restart_max) is below the minimum ($restart_min); using $restart_min"
    restart_max=$restart_min
fi

runtime_pid=''
guardian_pid=''
guardian_started=0
heal_pid=''
restart_timer_pid=''
tick_pid=''
stopping=0
stop_status=0
signals=0
reaped=0
spawned=''

# Forward SIGTERM/SIGINT to every child that can act on it, and remember that we are stopping: no more restarts.
# The disable is for a ShellCheck 0.9 false positive: it misses calls from trap strings in a script that ends in exit.
# shellcheck disable=SC2317
forward() {
    local sig=$1 number=$2 pid
    signals=$((signals + 1))
    if ((!stopping)); then
        stopping=1
        stop_status=$((128 + number))
    fi
    log "received SIG$sig; forwarding it to the runtime and the guardian"
    for pid in "$runtime_pid" "$guardian_pid" "$heal_pid"; do
        if [[ -n $pid ]]; then
            kill -s "$sig" "$pid" 2>/dev/null
        fi
    done
}
trap 'forward TERM 15' TERM
trap 'forward INT 2' INT

alive() {
    kill -0 "$1" 2>/dev/null
}

# reap PID: waits for the child and stores its exit status in $reaped. A trapped signal interrupts `wait`; the loop
# waits again, so a forwarded signal never passes for the child's exit status.
reap() {
    local before
    while :; do
        before=$signals
        wait "$1"
        reaped=$?
        if ((signals == before)); then
            return 0
        fi
    done
}

# Background children start with SIGINT/SIGQUIT ignored (bash does that without job control), and an ignored signal
# stays ignored across exec: give them back so a forwarded SIGINT works. Sets $spawned to the child's pid.
# spawn_guardian heal|run: the one-shot heal as the wrapper's user, `run` as GUARDIAN_USER.
spawn_guardian() {
    local -a as=("${heal_as[@]}")
    [[ $1 != run ]] || as=("${run_as[@]}")
    (
        trap - INT QUIT
        unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
        cd -- "$guardian_dir" && exec "${as[@]}" "$guardian_bin" "$@"
    ) &
    spawned=$!
}

spawn_runtime() {
    (
        trap - INT QUIT
        exec "$@"
    ) &
    spawned=$!
}

# Timers are children too, so `wait -n` wakes when they expire; their output is detached so that a leftover timer
# never holds the container's stdout open.
spawn_timer() {
    sleep "$1" >/dev/null 2>&1 &
    spawned=$!
}

cancel_timer() {
    if [[ -n $1 ]]; then
        kill "$1" 2>/dev/null
        reap "$1"
    fi
}

# Sleeps until a child exits, a timer expires, a trapped signal arrives or the tick passes. Callers re-check state.
wait_for_event() {
    if [[ -z $tick_pid ]] || ! alive "$tick_pid"; then
        cancel_timer "$tick_pid"
        spawn_timer "$TICK_SECONDS"
        tick_pid=$spawned
    fi
    wait -n
}

# await_exit PID TIMEOUT WHAT: waits for PID, killing it with SIGKILL after TIMEOUT seconds; status in $reaped.
await_exit() {
    local pid=$1 timeout=$2 what=$3 timer
    spawn_timer "$timeout"
    timer=$spawned
    while alive "$pid"; do
        if ! alive "$timer"; then
            log "$what did not exit within ${timeout}s; killing it"
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        wait_for_event
    done
    cancel_timer "$timer"
    reap "$pid"
}

start_guardian() {
    spawn_guardian run
    guardian_pid=$spawned
    guardian_started=$SECONDS
    log "started the guardian (pid $guardian_pid)"
}

restart_delay=$restart_min

# The guardian exited while the runtime runs: schedule a restart with back-off, unless the exit says restarting is
# pointless.
guardian_exited() {
    local status=$1 uptime=$((SECONDS - guardian_started))
    if ((status == EX_CONFIG)); then
        log "the guardian exited with status $EX_CONFIG (invalid configuration); not restarting it." \
            "The runtime keeps running unguarded: fix the configuration and restart the container."
        return
    fi
    if ((uptime >= restart_reset)); then
        restart_delay=$restart_min
    fi
    log "the guardian exited with status $status after ${uptime}s; restarting it in ${restart_delay}s"
    spawn_timer "$restart_delay"
    restart_timer_pid=$spawned
    restart_delay=$((restart_delay * 2 > restart_max ? restart_max : restart_delay * 2))
}

# 1. Heal once before the runtime starts, so it boots on a healed file. As root: see the header.
spawn_guardian heal
heal_pid=$spawned
await_exit "$heal_pid" "$heal_timeout" "the startup heal"
heal_pid=''
if ((stopping)); then
    log "stopped before the runtime started"
    cancel_timer "$tick_pid"
    exit "$stop_status"
fi
if ((reaped == 0)); then
    log "startup heal done"
elif ((reaped == EX_CONFIG)); then
    log "startup heal failed: invalid configuration (status $EX_CONFIG); starting the runtime anyway"
else
    log "startup heal failed (status $reaped); starting the runtime anyway, the guardian started next retries"
fi

# 2 and 3. The guardian first, so its watch is in place before the runtime's first rewrite.
start_guardian
spawn_runtime "$@"
runtime_pid=$spawned
log "started the runtime $1 (pid $runtime_pid)"

while ((!stopping)) && alive "$runtime_pid"; do
    if [[ -n $guardian_pid ]] && ! alive "$guardian_pid"; then
        reap "$guardian_pid"
        guardian_pid=''
        guardian_exited "$reaped"
    fi
    if [[ -n $restart_timer_pid ]] && ! alive "$restart_timer_pid"; then
        reap "$restart_timer_pid"
        restart_timer_pid=''
        start_guardian
    fi
    wait_for_event
done

cancel_timer "$restart_timer_pid"
restart_timer_pid=''
if ((stopping)); then
    # 4. The signal has been forwarded already; wait for both children.
    reap "$runtime_pid"
    status=$reaped
    log "the runtime exited with status $status"
    if [[ -n $guardian_pid ]]; then
        await_exit "$guardian_pid" "$stop_timeout" "the guardian"
    fi
else
    # 5. The runtime exited on its own: the container's life is over, the guardian's too.
    reap "$runtime_pid"
    status=$reaped
    log "the runtime exited with status $status; stopping the guardian"
    if [[ -n $guardian_pid ]]; then
        kill -TERM "$guardian_pid" 2>/dev/null
        await_exit "$guardian_pid" "$stop_timeout" "the guardian"
    fi
fi
cancel_timer "$tick_pid"
exit "$status"
