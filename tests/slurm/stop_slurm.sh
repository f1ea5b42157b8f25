#!/usr/bin/env bash
# stop_slurm.sh - stop the daemons started by start_slurm.sh, by the PID files
# in its state directory, in reverse start order (never by process name), and
# remove the /etc/slurm/slurm.conf link it made. Daemons it did not start (no
# PID file of ours) are left alone. The state dir stays (logs); delete it with
# SLURM_PURGE=1.
set -u
STATE=${SLURM_STATE_DIR:-/tmp/prunescape-slurm}
PIDS=$STATE/pids
export SLURM_CONF=$STATE/slurm.conf

stop() { # stop PIDFILE NAME
    local f=$1 name=$2 pid
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        echo "stopping $name (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "  $name still alive, SIGKILL"
            kill -9 "$pid"
        fi
    fi
    rm -f "$f"
}

# cancel leftover jobs of our controller first, so slurmd has no running steps
if [ -s "$PIDS/slurmctld.pid" ] && kill -0 "$(cat "$PIDS/slurmctld.pid")" 2>/dev/null \
    && command -v scancel >/dev/null; then
    timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi
stop "$PIDS/slurmd.pid" slurmd
stop "$PIDS/slurmctld.pid" slurmctld
stop "$PIDS/munged.pid" munged

if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$STATE/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi
if [ "${SLURM_PURGE:-0}" = 1 ]; then
    rm -rf "$STATE"
fi
